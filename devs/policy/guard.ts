// What the board checks of a policy it received, before it compiles it.
// Every policy a board gets was checked whole by the admin's tools before
// they signed it (validatePolicy in ./validate.ts, with a message for each
// slip); the board only makes sure that what it reads has the shape the
// dial plan needs and that nothing takes an emergency number away. It
// fills in the defaults in the document itself and names the first
// problem only. Written apart from validate.ts because the VM takes an
// image of at most 64 KB of function bytecode (runtime verify.c, check
// 1051): the admin's checks are not compiled into the firmware.
// Portable: no @devicescript/* import, no RegExp.

import { guardOfficeRules } from "./officeRules"
import { splitPattern } from "../numbering/digits"
import {
    BEIJING_EMERGENCY,
    DEFAULT_EMERGENCY,
    DEFAULT_PREMIUM,
} from "../numbering/chinaPlan"
import { Policy, SERVICE_CLASSES } from "./types"
import {
    DEFAULT_IP_PREFIX,
    DEFAULT_RINGS_BEFORE_FORWARD,
    DEFAULT_TIMERS,
    extensionProblem,
    isDigits,
    MANDATORY_EMERGENCY,
    Validation,
} from "./validate"

const MALFORMED = ": malformed (check the policy with dialguard policy check)"

function isObj(v: any): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v)
}

function inRange(v: any, min: number, max: number): boolean {
    return typeof v === "number" && Math.floor(v) === v && v >= min && v <= max
}

/** A list of digit strings (with trailing x wildcards when `pattern`). */
function isDigitList(v: any, pattern: boolean): boolean {
    if (!Array.isArray(v)) return false
    for (const s of v)
        if (
            typeof s !== "string" ||
            s.length > 20 ||
            !isDigits(pattern ? splitPattern(s).literal : s)
        )
            return false
    return true
}

/** The first problem's path, "" when the site can be compiled. Fills in defaults. */
function guardSite(s: any): string {
    if (!isObj(s) || typeof s.name !== "string") return "site"
    if (!isDigits(s.areaCode) || s.areaCode.charAt(0) !== "0")
        return "site.areaCode"
    if (s.ipPrefix === undefined) s.ipPrefix = DEFAULT_IP_PREFIX
    if (s.emergency === undefined) {
        s.emergency = DEFAULT_EMERGENCY.slice(0)
        if (s.areaCode === "010") s.emergency.push(BEIJING_EMERGENCY)
    }
    if (!isDigitList(s.emergency, false)) return "site.emergency"
    for (const e of MANDATORY_EMERGENCY)
        if (s.emergency.indexOf(e) < 0) return "site.emergency"
    // the built-in premium lines, never fewer
    const premium = DEFAULT_PREMIUM.slice(0)
    const own = s.premiumPrefixes || []
    if (!isDigitList(own, true)) return "site.premiumPrefixes"
    for (const p of own) if (premium.indexOf(p) < 0) premium.push(p)
    s.premiumPrefixes = premium
    if (s.outsideLinePrefix === undefined) s.outsideLinePrefix = ""
    if (s.ringsBeforeForward === undefined)
        s.ringsBeforeForward = DEFAULT_RINGS_BEFORE_FORWARD
    if (!inRange(s.ringsBeforeForward, 1, 20)) return "site.ringsBeforeForward"
    if (s.blocked === undefined) s.blocked = []
    if (s.allowed === undefined) s.allowed = []
    if (!isDigitList(s.blocked, false)) return "site.blocked"
    if (!isDigitList(s.allowed, false)) return "site.allowed"
    for (const b of s.blocked)
        for (const e of s.emergency)
            if (e.indexOf(b) === 0) return "site.blocked" // blocks 11x
    const t = s.timers || {}
    if (!isObj(t)) return "site.timers"
    for (const k of Object.keys(DEFAULT_TIMERS)) {
        if (t[k] === undefined) t[k] = (DEFAULT_TIMERS as any)[k]
        if (!inRange(t[k], 100, 60000)) return "site.timers." + k
    }
    s.timers = t
    return ""
}

/** The first problem's path, "" when the lists can be compiled. Fills in defaults. */
function guardLists(raw: any): string {
    const ids: any = {}
    if (!Array.isArray(raw.departments)) return "departments"
    for (let i = 0; i < raw.departments.length; ++i) {
        const d = raw.departments[i]
        if (
            !isObj(d) ||
            typeof d.id !== "string" ||
            !inRange(d.floor, -10, 200) ||
            typeof d.x !== "number" ||
            typeof d.y !== "number"
        )
            return "departments[" + i + "]"
        if (d.name === undefined) d.name = ""
        ids["#" + d.id] = true
    }
    const seen: any = {}
    if (!Array.isArray(raw.handsets)) return "handsets"
    for (let i = 0; i < raw.handsets.length; ++i) {
        const h = raw.handsets[i]
        const p = "handsets[" + i + "]"
        if (!isObj(h)) return p
        if (h.allow === undefined) h.allow = "internal"
        if (h.name === undefined) h.name = ""
        h.receiveOnly = h.receiveOnly === true
        h.suspended = h.suspended === true
        if (extensionProblem(h.extension) || seen["#" + h.extension])
            return p + ".extension"
        seen["#" + h.extension] = true
        if (!ids["#" + h.department]) return p + ".department"
        if (SERVICE_CLASSES.indexOf(h.allow) < 0) return p + ".allow"
    }
    // a board policy's own keys (devs/policy/boardPolicy.ts)
    if (raw.board !== undefined && typeof raw.board !== "string") return "board"
    if (raw.extensions !== undefined && typeof raw.extensions !== "string")
        return "extensions"
    if (raw.forward !== undefined) {
        if (!isObj(raw.forward)) return "forward"
        for (const chain of Object.keys(raw.forward))
            if (typeof raw.forward[chain] !== "string") return "forward"
    }
    return ""
}

/**
 * The board's check of a received policy document (which it turns into
 * the policy, defaults filled in); `policy` is set only when it passed.
 */
export function guardPolicy(raw: any): Validation {
    let bad = ""
    if (!isObj(raw) || !inRange(raw.version, 1, 2147483647)) bad = "version"
    else bad = guardSite(raw.site) || guardLists(raw)
    if (!bad) {
        const errors: string[] = []
        guardOfficeRules((p, why) => errors.push(p + ": " + why), raw, raw)
        if (errors.length) return { errors }
        return { policy: raw as Policy, errors }
    }
    return { errors: [bad + MALFORMED] }
}
