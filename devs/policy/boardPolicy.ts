// A board's share of the site policy, cut on the host (`dialguard policy
// push`, `dialguard flash`) so that what a board receives, checks and keeps
// grows with its own ports, not with the site.
// Portable: no @devicescript/* import, the same file runs in the VM and Node.
//
// A board policy is an ordinary policy document with three more keys:
//   board       the board id it was cut for (signed with the rest, so it
//               cannot be replayed to another board)
//   extensions  every other extension of the site: they are internal
//               numbers for the dial plan; runs written "lo-hi"
//               (devs/policy/extensionRanges.ts), instead of ~300 bytes per
//               handset record on the board's heap
//   forward     forward chain -> the extensions whose unanswered calls
//               follow it here (words as in `extensions`). Chains are
//               worked out from the whole site (nearest department needs
//               every department and handset, which the board no longer
//               has): a port's own chain, and for a call forwarded to one
//               of the board's ports (SIP diverted_from = the handset it
//               was for) the rest of that handset's chain from the port
//               on, so it moves on without coming back. Handsets whose
//               chains are the same share one entry: a department
//               numbered in a block is one word.
// `handsets` holds the board's own handsets only and `departments` the
// departments they belong to.

import { forwardChain } from "../phone/forwarding"
import { compressExtensions, inWords } from "./extensionRanges"
import { Department, Handset, Policy } from "./types"
import { cut } from "../text/cut"

/** The policy document for board `board` whose ports serve `ports`. */
export function boardPolicyDoc(
    policy: Policy,
    board: string,
    ports: string[]
): any {
    const own: Handset[] = []
    const others: string[] = []
    for (const h of policy.handsets)
        if (ports.indexOf(h.extension) >= 0) own.push(h)
        else others.push(h.extension)
    const departments: Department[] = []
    for (const d of policy.departments)
        if (own.some(h => h.department === d.id)) departments.push(d)
    // chain -> extensions; every port, also one the policy does not know
    // (it still forwards to 前台), and every handset whose chain passes
    // through a port before its last hop
    const groups: Record<string, string[]> = {}
    const add = (chain: string[], ext: string) => {
        const key = chain.join(" ")
        if (!groups[key]) groups[key] = []
        groups[key].push(ext)
    }
    for (const ext of ports) add(forwardChain(policy, ext), ext)
    for (const ext of others) {
        const chain = forwardChain(policy, ext)
        const at = chain.findIndex(e => ports.indexOf(e) >= 0)
        if (at >= 0 && at < chain.length - 1) add(chain.slice(at), ext)
    }
    const forward: Record<string, string> = {}
    for (const key of Object.keys(groups))
        forward[key] = compressExtensions(groups[key])
    const doc: any = {
        version: policy.version,
        board,
        site: policy.site,
        departments,
        handsets: own,
        extensions: compressExtensions(others),
        forward,
    }
    // issue 12: every board checks every code (a code is not tied to a handset)
    if (policy.authCodes) doc.authCodes = policy.authCodes
    return doc
}

/** Board side: the forward chain for calls first for `ext` ([] if none). */
export function forwardChainIn(
    forward: Record<string, string>,
    ext: string
): string[] {
    for (const chain of Object.keys(forward))
        if (inWords(forward[chain], ext)) return chain ? cut(chain, " ") : []
    return []
}
