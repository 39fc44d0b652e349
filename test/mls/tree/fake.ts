/**
 * Structurally valid but unsigned nodes, for tests of the tree's structure
 * and caches (signatures are not looked at there). Keys are random, so every
 * node's keys are unique.
 */
import { randomBytes } from '../../../src/crypto/index.js'
import { LeafNodeSource, type LeafNode, type ParentNode } from '../../../src/mls/wire/index.js'
import type { Node } from '../../../src/mls/wire/index.js'

export function fakeLeaf(tag = 0): LeafNode {
  return {
    encryptionKey: randomBytes(32),
    signatureKey: randomBytes(32),
    credential: { credentialType: 1, identity: new Uint8Array([tag & 0xff]) },
    capabilities: { versions: [1], cipherSuites: [1], extensions: [], proposals: [], credentials: [1] },
    leafNodeSource: LeafNodeSource.key_package,
    lifetime: { notBefore: 0n, notAfter: 1n },
    extensions: [],
    signature: randomBytes(64),
  }
}

export function fakeParent(unmergedLeaves: number[] = []): ParentNode {
  return { encryptionKey: randomBytes(32), parentHash: randomBytes(32), unmergedLeaves }
}

export const leafNode = (tag = 0): Node => ({ nodeType: 1, leafNode: fakeLeaf(tag) })
export const parentNode = (unmerged: number[] = []): Node => ({ nodeType: 2, parentNode: fakeParent(unmerged) })
