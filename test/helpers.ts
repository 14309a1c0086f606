// Shared helpers for the host tests of the dial-policy engine: a policy
// builder, a compiled test site, a key-by-key dialling trace and a seeded
// PRNG for generated numbers.

import { compileDialPlan } from "../devs/engine/dialPlan"
import { Decision, DialSession, decideDigits } from "../devs/engine/dialSession"
import { DialPlan } from "../devs/engine/types"
import { Handset, Policy } from "../devs/policy/types"
import { validatePolicy } from "../devs/policy/validate"

export interface HandsetSpec {
    extension: string
    department?: string
    allow?: string
    receiveOnly?: boolean
    suspended?: boolean
    name?: string
}

/**
 * The handsets of the standard test site (department "ops"): one per class
 * of service, plus a receive-only and a suspended one that would otherwise
 * be allowed everything.
 */
export const STANDARD_HANDSETS: HandsetSpec[] = [
    { extension: "8000", allow: "internal", name: "Lobby" },
    { extension: "8001", allow: "local" },
    { extension: "8002", allow: "domestic" },
    { extension: "8003", allow: "international", name: "CEO" },
    {
        extension: "8004",
        allow: "international",
        receiveOnly: true,
        name: "Front desk",
    },
    { extension: "8005", allow: "international", suspended: true },
]

/** Extension of the standard handset with that role. */
export const EXT = {
    internal: "8000",
    local: "8001",
    domestic: "8002",
    international: "8003",
    receiveOnly: "8004",
    suspended: "8005",
}

/**
 * A raw policy document (as an admin writes it): Nanjing (025) unless `site`
 * says otherwise; `site` keys are merged over the minimal site.
 */
export function rawPolicy(
    site: any = {},
    handsets: HandsetSpec[] = STANDARD_HANDSETS
): any {
    return {
        version: 1,
        site: { name: "Test site", areaCode: "025", ...site },
        departments: [
            { id: "ops", name: "Operations", floor: 2, x: 10, y: 20 },
        ],
        handsets: handsets.map(h => ({ department: "ops", ...h })),
    }
}

/** Validates a raw policy and fails loudly if it is rejected. */
export function validPolicy(raw: any): Policy {
    const v = validatePolicy(raw)
    if (!v.policy) throw new Error("policy rejected:\n" + v.errors.join("\n"))
    return v.policy
}

export interface Site {
    policy: Policy
    plan: DialPlan
    handset(ext: string): Handset
    /** decideDigits for the handset with that extension (user goes silent after the last key). */
    decide(ext: string, digits: string): Decision
    /** Key-by-key trace for the handset with that extension. */
    dial(ext: string, keys: string): Trace
}

export function makeSite(
    site: any = {},
    handsets: HandsetSpec[] = STANDARD_HANDSETS
): Site {
    const policy = validPolicy(rawPolicy(site, handsets))
    const plan = compileDialPlan(policy)
    const handset = (ext: string) => {
        const h = plan.handsets.find(x => x.extension === ext)
        if (!h) throw new Error("no handset " + ext)
        return h
    }
    return {
        policy,
        plan,
        handset,
        decide: (ext, digits) => decideDigits(plan, handset(ext), digits),
        dial: (ext, keys) => trace(plan, handset(ext), keys),
    }
}

export interface Trace {
    /** Timer kind returned by every key press before the decision ("short" / "long"). */
    timers: string[]
    /** The timer durations (ms) returned alongside. */
    ms: number[]
    /** How many keys had been pressed when the call was decided; 0 = only by the timer. */
    decidedAfter: number
    decision: Decision
}

/**
 * Presses `keys` one by one; if none of them decides the call, lets the
 * running timer expire.
 */
export function trace(plan: DialPlan, handset: Handset, keys: string): Trace {
    const s = new DialSession(plan, handset)
    s.start()
    const timers: string[] = []
    const ms: number[] = []
    for (let i = 0; i < keys.length; ++i) {
        const step = s.press(keys.charAt(i))
        if (step.decision)
            return { timers, ms, decidedAfter: i + 1, decision: step.decision }
        timers.push(step.timer!)
        ms.push(step.ms!)
    }
    return { timers, ms, decidedAfter: 0, decision: s.expire() }
}

/** Deterministic PRNG (mulberry32): the same numbers on every run. */
export class Rng {
    private s: number
    constructor(seed: number) {
        this.s = seed >>> 0
    }
    next(): number {
        this.s = (this.s + 0x6d2b79f5) >>> 0
        let t = this.s
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    int(n: number): number {
        return Math.floor(this.next() * n)
    }
    /** `n` random digits. */
    digits(n: number): string {
        let s = ""
        for (let i = 0; i < n; ++i) s += this.int(10)
        return s
    }
    /** A digit from `set` ("23456789"). */
    from(set: string): string {
        return set.charAt(this.int(set.length))
    }
    pick<T>(list: T[]): T {
        return list[this.int(list.length)]
    }
}

export const words = (s: string) => s.split(" ").filter(w => w)

/** A subscriber number of `len` digits whose first digit is 2-9. */
export function subscriber(r: Rng, len: number): string {
    return r.from("23456789") + r.digits(len - 1)
}
