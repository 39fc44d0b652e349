/**
 * The documented table: what each implementation is expected to show, with
 * the reason, and what the roadmap's "Security Properties by Model" table
 * claims where it says something. table.test.ts fails if an observation
 * differs from EXPECTED; the page (docs/security-properties.md) prints every
 * disagreement with the roadmap next to its explanation.
 */
import type { Column, Row } from './types.js'

export interface Expectation {
  readonly value: string
  readonly reason: string
}

const e = (value: string, reason: string): Expectation => ({ value, reason })

const COST_MLS_ADD = 'committer O(log n); others O(log n); joiner O(n); total O(n log n)'
const COST_MLS_REMOVE = 'committer O(log n); others O(log n); total O(n log n)'

export const EXPECTED: Record<Row, Record<Column, Expectation>> = {
  confidentiality: {
    coordinator: e('yes, except the hub (reads all plaintext)', 'Encryption is member-to-hub over two-party sessions: outsiders and removed members (the hub drops them) read nothing, but the hub decrypts every submission to re-encrypt it.'),
    'sender-keys': e('yes', 'Removal makes every remaining member rotate its key over two-party sessions the removed member cannot read.'),
    mls: e('yes', 'The removal Commit’s path secrets are encrypted to the remaining members only; the removed state cannot derive the next epoch.'),
    'hybrid-copath': e('yes', 'Hybrid seeds come from the MLS epoch (SafeExportSecret), so the removed member loses them with the epoch.'),
    'hybrid-pairwise': e('yes', 'As copath: the epoch seed is the MLS epoch’s.'),
    'double-ratchet': e('yes (outsider; no removal in 1:1)', 'Two parties: an outsider with its own sessions reads nothing.'),
  },
  authenticity: {
    coordinator: e('yes among members; the hub can forge', 'The hub stamps the sender from the session a submission came in on, so a member cannot claim another identity; the hub itself is trusted for authenticity and can forge a delivery from anyone.'),
    'sender-keys': e('yes', 'Each message is signed with the sender key’s signing key; members hold the chain key but not the signing key.'),
    mls: e('yes', 'FramedContent is signed with the sender leaf’s signature key; a member can derive another leaf’s ratchet but not sign for it.'),
    'hybrid-copath': e('yes', 'The outer MLS signature binds the sender; the inner frame is decrypted on the chain of the sender the outer layer authenticated.'),
    'hybrid-pairwise': e('yes', 'As copath.'),
    'double-ratchet': e('yes (no third party to impersonate)', 'AEAD with the session’s associated data; altered and foreign messages fail.'),
  },
  'forward-secrecy': {
    coordinator: e('per message', 'Both hops are Double Ratchet sessions: message keys are deleted after use.'),
    'sender-keys': e('per message', 'The chain key is replaced and message keys deleted at every step.'),
    mls: e('per message', 'RFC 9420 §9.2: the secret tree deletes each consumed key and ratchet secret; a snapshot taken mid-epoch opens none of the messages already read in that epoch.'),
    'hybrid-copath': e('per message', 'Per-sender chains delete keys at every step; the epoch seed is FS-1 (SafeExportSecret, deleted after seeding).'),
    'hybrid-pairwise': e('per message', 'As copath.'),
    'double-ratchet': e('per message', 'Signal Double Ratchet: message keys deleted after use.'),
  },
  'pcs-sender': {
    coordinator: e('own rekey', 'The sender’s session with the hub takes a DH ratchet step the next time it sends after hearing from the hub.'),
    'sender-keys': e('own rekey', 'A rotation is fresh randomness; it travels over two-party sessions that take a DH step on that send (the sender heard from each peer since its last send). A rotation sent on a chain the snapshot holds would be read: see the receiver row.'),
    mls: e('own commit', 'Only the sender’s own Commit replaces its leaf and path secrets; other members’ Commits are encrypted to keys the snapshot holds, so the clone follows them.'),
    'hybrid-copath': e('own rekey', 'The rekey secret r is fresh and encrypted to the other members’ keys only.'),
    'hybrid-pairwise': e('own rekey', 'As copath, encrypted to each member’s receive key.'),
    'double-ratchet': e('own rekey', 'One DH ratchet step with a fresh key pair.'),
  },
  'pcs-receiver': {
    coordinator: e('own rekey', 'The receiver’s session with the hub heals once it sends (new ratchet key) and the hub answers on it.'),
    'sender-keys': e("a two-party round trip, then the sender's rekey", 'The snapshot holds the sender’s chain key: only a rotation by the sender heals, and only if it travels over a two-party session that took a DH step after the compromise. The receiver’s own rotation sends on a chain it already used, so it changes nothing.'),
    mls: e('own commit', 'Others’ Commits encrypt path secrets to the compromised member’s leaf key, which the snapshot holds; only a Commit refreshing that leaf heals (HYBRID.md §1).'),
    'hybrid-copath': e('own commit', 'Copath rekeys are encrypted to tree keys the compromised member holds: no in-epoch healing at O(log n) exists (HYBRID.md §1); the self-commit heals.'),
    'hybrid-pairwise': e('own rekey', 'The compromised member announces a fresh receive key with its next send; the sender’s next rekey (triggered by the ping-pong rule) is encrypted to it.'),
    'double-ratchet': e('own rekey', 'The receiver’s next send carries a fresh ratchet key; the peer’s answer is a DH step on it.'),
  },
  'add-cost': {
    coordinator: e('joiner O(1); hub O(1); members 0; total O(1)', 'One X3DH session between the joiner and the hub; nothing reaches the members.'),
    'sender-keys': e('existing O(1); joiner O(n); total O(n)', 'Every member opens a session to the joiner and sends it its key (constant each); the joiner answers n-1 X3DH handshakes and sends its key n-1 times.'),
    mls: e(COST_MLS_ADD, 'The Commit costs O(log n) to make and to process (tree and parent hashes along one path); the joiner verifies the whole ratchet tree (a signature and a hash per leaf). Adding the (2^k+1)-th member doubles the tree and costs the committer O(n) (SHA-256 over the wider tree); the others stay O(log n) (evidence).'),
    'hybrid-copath': e(COST_MLS_ADD, 'MLS plus the hybrid epoch entry (constant: SafeExportSecret and the seed-tree root); per-sender seeds are derived lazily, O(log n), at each sender’s first message.'),
    'hybrid-pairwise': e(COST_MLS_ADD, 'Same run as copath: the rekey mode does not enter epoch entry.'),
    'double-ratchet': e('n/a (two parties)', 'No membership.'),
  },
  'remove-cost': {
    coordinator: e('hub 0; members 0; total 0', 'The hub deletes the session; no group key exists to rotate.'),
    'sender-keys': e('each remaining O(n); total O(n²)', 'Every remaining member rotates and sends its new key to the n-2 others and opens their n-2 keys.'),
    mls: e(COST_MLS_REMOVE, 'One Commit with a path: O(log n) for the committer and for each member processing it; n members process it.'),
    'hybrid-copath': e(COST_MLS_REMOVE, 'MLS plus the constant epoch entry.'),
    'hybrid-pairwise': e(COST_MLS_REMOVE, 'Same run as copath.'),
    'double-ratchet': e('n/a (two parties)', 'No membership.'),
  },
}

/**
 * What the roadmap's table claims (as quoted in the issue), where it covers
 * the cell. `agrees` decides from the observed value, so the verdict on the
 * page comes from the run; `explanation` is printed when they disagree,
 * `note` always.
 */
export interface RoadmapClaim {
  readonly claim: string
  readonly agrees: (observed: string) => boolean
  readonly explanation?: string
  readonly note?: string
}

const ORDER = ['0', 'O(1)', 'O(log n)', 'O(n)', 'O(n log n)', 'O(n²)']
/** The largest per-member growth class in a cost cell ("role class; ...; total class"). */
export function worstPerMember(value: string): string {
  let worst = '0'
  for (const part of value.split('; ')) {
    if (part.startsWith('total ')) continue
    const cls = ORDER.find((c) => part.endsWith(` ${c}`)) ?? '0'
    if (ORDER.indexOf(cls) > ORDER.indexOf(worst)) worst = cls
  }
  return worst
}
const perMemberAtMost = (cls: string) => (v: string) => ORDER.indexOf(worstPerMember(v)) <= ORDER.indexOf(cls)
const perMemberIs = (cls: string) => (v: string) => worstPerMember(v) === cls

const MLS_ADD_EXPLANATION =
  'O(log n) holds for the committer and for each existing member. The joiner verifies the whole ratchet tree it receives (a leaf signature and a hash per member): O(n). Every member processes the Commit, so the group total is O(n log n). An add that doubles the tree (the (2^k+1)-th member) costs the committer O(n), the growth being SHA-256 calls over the wider tree, while the other members stay O(log n) (evidence lines).'

export const ROADMAP: Partial<Record<Row, Partial<Record<Column, RoadmapClaim>>>> = {
  'forward-secrecy': {
    'sender-keys': { claim: 'per message (chain)', agrees: (v) => v === 'per message' },
    mls: {
      claim: 'per-epoch',
      agrees: (v) => v === 'per epoch',
      explanation:
        'RFC 9420 §9.2 deletes every key and ratchet secret of the secret tree once used, and this implementation does (deletion-schedule tests in test/mls). A member snapshotted mid-epoch opens none of the messages it already read in that epoch, only later ones. What is per-epoch in MLS is post-compromise healing and the exporter secret, not the forward secrecy of application messages.',
    },
    'hybrid-copath': { claim: 'per message', agrees: (v) => v === 'per message' },
    'hybrid-pairwise': { claim: 'per message', agrees: (v) => v === 'per message' },
  },
  'pcs-sender': {
    'sender-keys': {
      claim: 'none until rotation',
      agrees: (v) => v === 'own rekey',
      note: 'The rotation heals because the two-party sessions carrying it took a DH step (the sender had heard from each peer since its last send); see the receiver row for when they had not.',
    },
    mls: { claim: 'after commit', agrees: (v) => v === 'own commit', note: 'Made precise: the compromised member’s own Commit; another member’s Commit does not heal (evidence).' },
    'hybrid-copath': { claim: 'in-epoch, on the sender’s rekey', agrees: (v) => v === 'own rekey' },
    'hybrid-pairwise': { claim: 'in-epoch, on the sender’s rekey', agrees: (v) => v === 'own rekey' },
  },
  'pcs-receiver': {
    'sender-keys': {
      claim: 'none until rotation',
      agrees: (v) => v.includes("the sender's rekey"),
      note: 'Made precise: the sender’s rotation heals only over a two-party session that took a DH step after the compromise (a round trip); the receiver’s own rotation does not help.',
    },
    mls: { claim: 'after commit', agrees: (v) => v === 'own commit', note: 'Made precise: the compromised receiver’s own Commit.' },
    'hybrid-copath': {
      claim: 'in-epoch healing on the sender’s rekey',
      agrees: (v) => v.includes('rekey'),
      explanation:
        'The roadmap’s in-epoch healing holds for a compromised sender. A compromised receiver holds a tree key on every other sender’s copath, so copath rekeys stay readable to its snapshot until it commits itself (HYBRID.md §1 states this limit); observed: own commit, as MLS.',
    },
    'hybrid-pairwise': { claim: 'in-epoch, both directions', agrees: (v) => v === 'own rekey' },
  },
  'add-cost': {
    'sender-keys': { claim: 'O(n)', agrees: perMemberIs('O(n)'), note: 'O(n) is the joiner’s share and the total; each existing member’s share is O(1).' },
    mls: { claim: 'O(log n)', agrees: perMemberAtMost('O(log n)'), explanation: MLS_ADD_EXPLANATION },
    'hybrid-copath': { claim: 'O(log n)', agrees: perMemberAtMost('O(log n)'), explanation: `As MLS; the hybrid layer adds a constant at epoch entry. ${MLS_ADD_EXPLANATION}` },
    'hybrid-pairwise': { claim: 'O(log n)', agrees: perMemberAtMost('O(log n)'), explanation: 'As MLS and hybrid (copath): same run.' },
  },
  'remove-cost': {
    'sender-keys': { claim: 'O(n)', agrees: perMemberIs('O(n)'), note: 'Per member; the group total is O(n²): every remaining member rotates to every other.' },
    mls: { claim: 'O(log n)', agrees: perMemberAtMost('O(log n)'), note: 'Per member; the group total is O(n log n), as every member processes the Commit.' },
    'hybrid-copath': { claim: 'O(log n)', agrees: perMemberAtMost('O(log n)'), note: 'Per member, as MLS.' },
    'hybrid-pairwise': { claim: 'O(log n)', agrees: perMemberAtMost('O(log n)'), note: 'Per member, as MLS.' },
  },
}
