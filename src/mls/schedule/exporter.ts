/**
 * MLS-Exporter (RFC 9420 §8.5):
 *
 *   MLS-Exporter(Label, Context, Length) =
 *     ExpandWithLabel(DeriveSecret(exporter_secret, Label), "exported", Hash(Context), Length)
 *
 * Label is a string (registered labels, §17.8); note that the interop
 * vectors use a hex string as the label text itself (not its decoded bytes).
 *
 * This exporter is not forward secure (exporter_secret stays for the whole
 * epoch); components that need forward security use SafeExportSecret
 * (exporter-tree.ts).
 */
import type { CipherSuite } from '../../crypto/suite.js'
import { memzero } from '../../crypto/sodium.js'
import { TalosError } from '../../errors.js'

/** Bound on a label (bytes of UTF-8), so callers cannot make us allocate arbitrarily. */
export const MAX_EXPORTER_LABEL_BYTES = 1024

/** MLS-Exporter(Label, Context, Length) from the epoch's exporter_secret. */
export function mlsExporter(
  suite: CipherSuite,
  exporterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  // uint16 in KDFLabel, and HKDF-Expand cannot produce more than 255 * Nh.
  if (!Number.isInteger(length) || length < 0 || length > 0xffff || length > 255 * suite.Nh) {
    throw new TalosError('MLS_INVALID_EXPORT_LENGTH', `exporter length ${length} is out of range`)
  }
  if (Buffer.byteLength(label, 'utf8') > MAX_EXPORTER_LABEL_BYTES) {
    throw new TalosError('MLS_INVALID_EXPORT_LABEL', `exporter label is longer than ${MAX_EXPORTER_LABEL_BYTES} bytes`)
  }
  if (exporterSecret.length !== suite.Nh) {
    throw new TalosError('MLS_INVALID_SECRET_LENGTH', `exporter_secret must be ${suite.Nh} bytes`)
  }
  const derived = suite.deriveSecret(exporterSecret, label)
  try {
    return suite.expandWithLabel(derived, 'exported', suite.hash(context), length)
  } finally {
    memzero(derived)
  }
}
