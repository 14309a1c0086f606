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
//   forward     port extension -> space-separated forward chain, computed
//               here from the whole site (nearest department needs every
//               department and handset, which the board no longer has)
// `handsets` holds the board's own handsets only and `departments` the
// departments they belong to.

import { forwardChain } from "../phone/forwarding"
import { compressExtensions } from "./extensionRanges"
import { Department, Handset, Policy } from "./types"

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
    // every port, also one the policy does not know (it still forwards to 前台)
    const forward: Record<string, string> = {}
    for (const ext of ports) forward[ext] = forwardChain(policy, ext).join(" ")
    return {
        version: policy.version,
        board,
        site: policy.site,
        departments,
        handsets: own,
        extensions: compressExtensions(others),
        forward,
    }
}

/** A forward chain as stored in a board policy, back to a list. */
export function chainOf(words: string): string[] {
    return words ? words.split(" ") : []
}
