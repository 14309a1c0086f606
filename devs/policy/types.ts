// The policy as admins write it, after validation has filled in defaults.
// Portable: no @devicescript/* import, the same file runs in the VM and Node.

/** Classes of service, lowest first (Chinese PBX authority levels 0..3). */
export type ServiceClass = "internal" | "local" | "domestic" | "international"

export const SERVICE_CLASSES: ServiceClass[] = [
    "internal",
    "local",
    "domestic",
    "international",
]

export interface Timers {
    /** Off-hook, nothing dialled yet: give up after this long. */
    firstDigitMs: number
    /** No number matched yet: wait this long for the next digit. */
    interDigitMs: number
    /** A number matched but a longer one is still possible. */
    shortMs: number
}

export interface Site {
    name: string
    /** Own area code with its trunk prefix, e.g. "025". */
    areaCode: string
    /** IP long-distance prefix injected on domestic/international calls; "" = none. */
    ipPrefix: string
    emergency: string[]
    /** Digits then optional x's: "168xxxxx" = exactly 5 more digits, "12590" = any number starting so. */
    premiumPrefixes: string[]
    /** "" = none; else external calls must start with it and it is stripped. */
    outsideLinePrefix: string
    ringsBeforeForward: number
    /** Number prefixes refused on every handset (emergency numbers excepted). */
    blocked: string[]
    /** Number prefixes any handset may call whatever its class (not premium, not when receive-only or suspended). */
    allowed: string[]
    timers: Timers
    // Issue 12 office rules (devs/policy/officeRules.ts); undefined = off.
    hours?: WorkingHours
    /** By call category: a warning tone once a call passes this many seconds. */
    callWarningSeconds?: Record<string, number>
    /** By call category: the call ends at this many seconds, after a final warning. */
    callLimitSeconds?: Record<string, number>
    /** Digits (e.g. "*9") dialled before a number to mark the call private. */
    privatePrefix?: string
}

export interface Department {
    id: string
    name: string
    /** 负责人: responsible for the bill of its handsets that have no owner (rule (二)3.2.1). */
    head?: string
    floor: number
    x: number
    y: number
}

export interface Handset {
    extension: string
    department: string
    allow: ServiceClass
    receiveOnly: boolean
    suspended: boolean
    name: string
    /** 责任人: who pays for private and premium charges; several share equally ((二)3.1.2). */
    owner?: string[]
}

/**
 * The price of one category's calls in 分 (whole numbers, never floats):
 * an answered call of S seconds costs
 * first + ceil(max(0, S - firstSeconds) / unitSeconds) * unit with
 * firstSeconds, else ceil(S / unitSeconds) * unit. Host side only (the
 * bill): boards never receive tariffs.
 */
export interface Tariff {
    firstSeconds?: number
    first?: number
    unitSeconds: number
    unit: number
    /** International only: number prefix (as dialled) -> unit, longest match wins. */
    prefixes?: Record<string, number>
}

export interface Policy {
    version: number
    site: Site
    departments: Department[]
    handsets: Handset[]
    /** Issue 12: codes that lift a refused call's class (none: no code entry). */
    authCodes?: AuthCode[]
    /** Per call category (CALL_CATEGORIES); a category without one is not priced. */
    tariffs?: Record<string, Tariff>
    /** Fine per premium-rate attempt in 分 (rule (一)5); DEFAULT_PREMIUM_FINE when not given. */
    premiumFine?: number
    /** Board policies only (devs/policy/boardPolicy.ts): the board it was cut for. */
    board?: string
    /** Board policies only: the site's other extensions, space-separated. */
    extensions?: string
    /** Board policies only: forward chain -> extensions (words) whose calls follow it. */
    forward?: Record<string, string>
}

// --- Office rules beyond the class of service (issue 12): authorization
// codes, working hours, call length, private calls. Every one is off
// unless the policy says otherwise (devs/policy/officeRules.ts checks them).

/** One authorization code: who it belongs to and the class it lifts a call to. */
export interface AuthCode {
    /** The approving supervisor or the person the code is issued to. */
    owner: string
    allow: ServiceClass
    /**
     * In a board's share: HMAC-SHA256 (hex) of the code's digits keyed
     * with that board's key, made by `policy push` / `flash` from `sealed`.
     */
    hmac?: string
    /**
     * In the admin's policy file: the code sealed (AES-256-GCM) with a key
     * derived from the site key (src/fleet/authCodes.ts). Never the code
     * in clear nor its plain hash.
     */
    sealed?: string
}

/** What an external call outside working hours gets. */
export type OutsideHours = "code" | "refuse" | "count"

export interface WorkingHours {
    /** ISO weekdays: 1 = Monday .. 7 = Sunday. */
    days: number[]
    /** "HH:MM" Beijing time; from inclusive, to exclusive. */
    from: string
    to: string
    breaks: { from: string; to: string }[]
    outside: OutsideHours
}
