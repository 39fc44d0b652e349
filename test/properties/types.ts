/** Shared types of the security-property simulations (see table.ts for the page they produce). */

export const COLUMNS = ['coordinator', 'sender-keys', 'mls', 'hybrid-copath', 'hybrid-pairwise', 'double-ratchet'] as const
export type Column = (typeof COLUMNS)[number]

export const COLUMN_TITLES: Record<Column, string> = {
  coordinator: 'Coordinator',
  'sender-keys': 'Sender Keys',
  mls: 'MLS',
  'hybrid-copath': 'Hybrid (copath)',
  'hybrid-pairwise': 'Hybrid (pairwise)',
  'double-ratchet': '1:1 Double Ratchet',
}

export const ROWS = ['confidentiality', 'authenticity', 'forward-secrecy', 'pcs-sender', 'pcs-receiver', 'add-cost', 'remove-cost'] as const
export type Row = (typeof ROWS)[number]

export const ROW_TITLES: Record<Row, string> = {
  confidentiality: 'Confidentiality (outsider, removed member)',
  authenticity: 'Authenticity (forged/altered rejected; no member impersonation)',
  'forward-secrecy': 'Forward secrecy',
  'pcs-sender': 'PCS, sender compromised: heals after',
  'pcs-receiver': 'PCS, receiver compromised: heals after',
  'add-cost': 'Member add cost (ops, worst member / total)',
  'remove-cost': 'Member remove cost (ops, worst member / total)',
}

/** One cell, as observed. */
export interface Observation {
  readonly row: Row
  readonly column: Column
  /** The cell text; compared verbatim with EXPECTED. */
  readonly value: string
  /** The scenario that produced it (one line under the table). */
  readonly scenario: string
  /** What was seen, step by step. */
  readonly evidence: readonly string[]
}
