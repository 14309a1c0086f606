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
