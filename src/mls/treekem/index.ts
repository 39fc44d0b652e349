/**
 * TreeKEM (RFC 9420 §7.4-§7.6, §12.4.1-§12.4.3): path secrets, UpdatePath
 * creation and processing, a member's private keys, and a joiner's keys from
 * its Welcome path_secret. Works on the public tree of src/mls/tree.
 *
 * Committing (on staged copies: tree = live.clone(), keys = liveKeys.clone()):
 *   ...apply the proposals to `tree`, prune: keys.prune(tree)
 *   const out = await createUpdatePath({ tree, leafIndex: me, groupId, signaturePrivateKey,
 *     excludedLeaves: addedLeaves, groupContext: (treeHash) => encode(groupContextCodec, {...treeHash}),
 *     privateKeys: keys, leaf?: { signatureKey, credential, capabilities, extensions } })
 *   out.updatePath -> Commit.path; out.commitSecret -> key schedule;
 *   out.pathSecretFor(newLeaf) -> GroupSecrets.path_secret; out.wipe() once the Welcome is sealed
 * Processing a Commit with a path (same staging):
 *   const r = await processUpdatePath({ tree, senderLeaf, updatePath, leafNodeBytes?, groupId,
 *     excludedLeaves: addedLeaves, groupContext, privateKeys: keys, leafPolicy: { authService, ... } })
 *   r.commitSecret -> key schedule
 * Joining: const keys = new TreePrivateKeys(myLeaf); await setLeafKey(tree, keys, encryptionPriv)
 *   if (groupSecrets.pathSecret) await deriveKeysFromPathSecret(tree, keys, groupInfo.signer, pathSecret)
 * Adopting a staged state: liveKeys.dispose(stagedKeys) (zeroes replaced/blanked keys);
 * rejecting it: stagedKeys.dispose(liveKeys) (zeroes what only the staged copy held).
 *
 * The GroupContext passed as EncryptWithLabel context is the encoded
 * provisional one (§12.4.1/§12.4.2): it contains the new tree hash, so it is
 * given as a function of that hash (or as bytes when already known).
 *
 * Error codes: MLS_UPDATE_PATH_LENGTH, MLS_UPDATE_PATH_CIPHERTEXT_COUNT,
 * MLS_DUPLICATE_ENCRYPTION_KEY, MLS_DUPLICATE_SIGNATURE_KEY, MLS_BAD_PARENT_HASH,
 * MLS_NO_DECRYPTION_KEY, MLS_PATH_DECRYPT_FAILED, MLS_PATH_KEY_MISMATCH,
 * MLS_LEAF_KEY_MISMATCH, MLS_INVALID_SENDER, and the §7.3 leaf codes of
 * validateLeafNode (MLS_INVALID_LEAF_SIGNATURE, MLS_INVALID_LEAF_SOURCE, ...).
 */
export { createUpdatePath, UPDATE_PATH_LABEL, type CreateUpdatePathOptions, type CreatedUpdatePath, type GroupContextSource, type NewLeafFields } from './create.js'
export { processUpdatePath, type ProcessUpdatePathOptions, type ProcessedUpdatePath, type LeafPolicy } from './process.js'
export { deriveKeysFromPathSecret, setKeyFromPathSecret, setLeafKey } from './join.js'
export { mergePathKeys, type PathNode } from './merge-path.js'
export { nextPathSecret, nodeKeyPair } from './path-secrets.js'
export { TreePrivateKeys, deserializeTreePrivateKeys } from './private-keys.js'
