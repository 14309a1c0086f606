// Rule (一)14: a phone rings unanswered, the nearest department picks up.
// Portable: no @devicescript/* import, the same file runs in the VM and Node.
//
// forwardChain() gives the extensions an unanswered call moves to, one hop
// after another (each after site.ringsBeforeForward rings):
//  1. a colleague in the handset's own department (the nearest people);
//  2. the other departments, nearest first, compared by (|floor difference|,
//     straight-line (x, y) distance): stairs cost more than any corridor, so
//     every department on the same floor (difference 0) comes before any on
//     another floor, then the fewest floors away. Ties: policy order;
//  3. the front desk (前台) always last, wherever its department lies, so
//     the call ends somewhere that is staffed and stays there.
// Each department gives ONE hop, its first handset in policy order that can
// answer: suspended handsets are skipped, receive-only ones can answer, the
// front desk is not a department's hop (it is the last one). The chain
// never holds the ringing extension or any extension twice, and has at most
// MAX_FORWARD_HOPS hops (the front desk replaces the last one if needed).
// A call at the front desk has no chain: it rings there until answered or
// the caller gives up.

import { Department, Handset, Policy } from "../policy/types"

export const MAX_FORWARD_HOPS = 8
export const FRONT_DESK_NAME = "前台"

/**
 * The site's front desk: the first receive-only handset whose name contains
 * 前台, else the first receive-only handset (suspended ones left out).
 */
export function frontDesk(policy: Policy): Handset | undefined {
    let first: Handset | undefined = undefined
    for (const h of policy.handsets) {
        if (!h.receiveOnly || h.suspended) continue
        if (h.name && h.name.indexOf(FRONT_DESK_NAME) >= 0) return h
        if (!first) first = h
    }
    return first
}

interface Ranked {
    dept: Department
    order: number
    floors: number
    dist2: number
}

function compareRanked(a: Ranked, b: Ranked): number {
    if (a.floors !== b.floors) return a.floors - b.floors
    if (a.dist2 !== b.dist2) return a.dist2 - b.dist2
    return a.order - b.order
}

/** Other departments, nearest to `from` first. */
export function departmentsByDistance(
    policy: Policy,
    from: Department
): Department[] {
    const ranked: Ranked[] = []
    const seen: Record<string, boolean> = {}
    seen[from.id] = true
    policy.departments.forEach((d, i) => {
        if (seen[d.id]) return
        seen[d.id] = true
        const dx = d.x - from.x
        const dy = d.y - from.y
        ranked.push({
            dept: d,
            order: i,
            floors: Math.abs(d.floor - from.floor),
            dist2: dx * dx + dy * dy, // same order as the distance, no sqrt
        })
    })
    ranked.sort(compareRanked)
    return ranked.map(r => r.dept)
}

/** Extensions to forward an unanswered call at `extension` to, in order. */
export function forwardChain(policy: Policy, extension: string): string[] {
    const desk = frontDesk(policy)
    const deskExt = desk ? desk.extension : ""
    if (extension === deskExt) return []
    const own = policy.handsets.find(h => h.extension === extension)
    // first handset able to answer, per department id (not the front desk)
    const firstOf: Record<string, string> = {}
    for (const h of policy.handsets) {
        if (h.suspended || h.extension === extension) continue
        if (h.extension === deskExt) continue
        if (firstOf[h.department] === undefined)
            firstOf[h.department] = h.extension
    }

    const hops: string[] = []
    const used: Record<string, boolean> = {}
    used[extension] = true
    const add = (ext: string | undefined) => {
        if (ext === undefined || used[ext]) return
        used[ext] = true
        hops.push(ext)
    }
    // An unknown extension has no department: only the front desk.
    if (own) {
        add(firstOf[own.department])
        const home = policy.departments.find(d => d.id === own.department)
        // without a place on the floor plan there is no "nearest"
        if (home)
            departmentsByDistance(policy, home).forEach(d => add(firstOf[d.id]))
    }

    const room = deskExt ? MAX_FORWARD_HOPS - 1 : MAX_FORWARD_HOPS
    const chain = hops.slice(0, room)
    if (deskExt) chain.push(deskExt)
    return chain
}
