// Checks a parsed policy document and fills in defaults. Every problem is
// reported as "path: reason"; a policy with any problem is rejected whole.
// Portable: no @devicescript/* import, no RegExp (the VM has none).

import { guardOfficeRules, OFFICE_SITE_KEYS } from "./officeRules"
import { splitPattern, subscriberLengths } from "../numbering/digits"
import {
    BEIJING_EMERGENCY,
    CHINA_CALLING_CODE,
    DEFAULT_EMERGENCY,
    DEFAULT_PREMIUM,
    IP_PREFIXES,
    isIpPrefix,
} from "../numbering/chinaPlan"
import {
    Department,
    Handset,
    Policy,
    SERVICE_CLASSES,
    ServiceClass,
    Site,
    Tariff,
    Timers,
} from "./types"

export const DEFAULT_TIMERS: Timers = {
    firstDigitMs: 16000,
    interDigitMs: 10000,
    shortMs: 3000,
}
export const DEFAULT_IP_PREFIX = "17909"
export const DEFAULT_RINGS_BEFORE_FORWARD = 3
/** Rule (一)5: 100 元 per premium-rate attempt, in 分. */
export const DEFAULT_PREMIUM_FINE = 10000
/** Categories a tariff may be given for (the chargeable ones of CALL_CATEGORIES). */
export const TARIFF_CATEGORIES = [
    "local",
    "mobile",
    "domestic",
    "international",
    "tollfree",
    "service",
]
/** Highest price in 分 of a tariff's step or a fine: 10000 元. */
const MAX_FEN = 1000000
/** Emergency numbers no policy may drop. */
export const MANDATORY_EMERGENCY = ["110", "119", "120", "122"]

export interface Validation {
    policy?: Policy
    errors: string[]
}

export function isDigits(s: any): boolean {
    if (typeof s !== "string" || s.length === 0) return false
    for (let i = 0; i < s.length; ++i) {
        const c = s.charCodeAt(i)
        if (c < 48 || c > 57) return false
    }
    return true
}

/**
 * Why `ext` cannot be an extension, or "" when it can: 2-6 digits, not
 * starting with 0 (the trunk prefix) or 1 (emergency, mobile and service
 * numbers). The one check of the policy, the board configuration's ports
 * and a board policy's `extensions`.
 */
export function extensionProblem(ext: any): string {
    if (!isDigits(ext) || ext.length < 2 || ext.length > 6)
        return "must be 2-6 digits 0-9"
    const first = ext.charAt(0)
    if (first === "0" || first === "1")
        return "must not start with 0 (trunk prefix) or 1 (emergency, mobile and service numbers)"
    return ""
}

function isObject(v: any): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v)
}

function isInt(v: any): boolean {
    return typeof v === "number" && Math.floor(v) === v
}

function quote(v: any): string {
    return typeof v === "string" ? '"' + v + '"' : JSON.stringify(v)
}

/**
 * Reads the fields of a document, reporting every problem. A missing or
 * wrong value is replaced by its default; a required one (default
 * undefined) by undefined, which only a policy with errors holds, and that
 * one is never returned: validatePolicy's policy has every field.
 */
class Checker {
    errors: string[] = []
    /** The admin's checks (host only, see AdminChecks); undefined on the board. */
    admin: AdminChecks | undefined = undefined

    err(path: string, reason: string) {
        this.errors.push(path + ": " + reason)
    }

    /** Reports keys of `obj` not in `known` (or `unlisted`: allowed, not suggested). */
    keys(obj: any, path: string, known: string[], unlisted?: string[]) {
        for (const k of Object.keys(obj))
            if (known.indexOf(k) < 0 && (!unlisted || unlisted.indexOf(k) < 0))
                this.err(
                    path + (path ? "." : "") + k,
                    "unknown key (expected one of: " + known.join(", ") + ")"
                )
    }

    str(obj: any, key: string, path: string, dflt: string | undefined): string {
        const v = obj[key]
        if (v === undefined) {
            if (dflt === undefined) this.err(path, "required")
            return dflt as string
        }
        if (typeof v !== "string") {
            this.err(path, "must be a string, not " + quote(v))
            return dflt as string
        }
        return v
    }

    int(
        obj: any,
        key: string,
        path: string,
        dflt: number | undefined,
        min: number,
        max: number
    ): number {
        const v = obj[key]
        if (v === undefined) {
            if (dflt === undefined) this.err(path, "required")
            return dflt as number
        }
        if (!isInt(v) || v < min || v > max) {
            this.err(
                path,
                "must be a whole number from " +
                    min +
                    " to " +
                    max +
                    ", not " +
                    quote(v)
            )
            return dflt as number
        }
        return v
    }

    num(obj: any, key: string, path: string): number {
        const v = obj[key]
        if (v === undefined) this.err(path, "required")
        else if (typeof v !== "number" || isNaN(v))
            this.err(path, "must be a number, not " + quote(v))
        else return v
        return 0
    }

    bool(obj: any, key: string, path: string): boolean {
        const v = obj[key]
        if (v === undefined) return false
        if (typeof v !== "boolean") {
            this.err(path, "must be true or false, not " + quote(v))
            return false
        }
        return v
    }

    /** An array of digit strings (with `x` wildcards at the end when `pattern`). */
    digitList(
        obj: any,
        key: string,
        path: string,
        dflt: string[],
        pattern: boolean
    ): string[] {
        const v = obj[key]
        if (v === undefined) return dflt
        if (!Array.isArray(v)) {
            this.err(path, "must be a list of numbers as strings")
            return dflt
        }
        const out: string[] = []
        const seen: any = {}
        for (let i = 0; i < v.length; ++i) {
            const s = v[i]
            const p = path + "[" + i + "]"
            const literal =
                pattern && typeof s === "string" ? splitPattern(s).literal : s
            if (!isDigits(literal) || s.length > 20) {
                this.err(
                    p,
                    quote(s) +
                        (pattern
                            ? " must be digits, optionally followed by x's"
                            : " must be 1-20 digits 0-9")
                )
                continue
            }
            if (seen[s]) this.err(p, "duplicate " + quote(s))
            seen[s] = true
            out.push(s)
        }
        return out
    }
}

function startsWithEither(a: string, b: string): boolean {
    return a.indexOf(b) === 0 || b.indexOf(a) === 0
}

/** The entry of `list` that `s` starts with, or undefined. */
function startOf(s: string, list: string[]): string | undefined {
    for (const p of list) if (p && s.indexOf(p) === 0) return p
    return undefined
}

function checkSite(c: Checker, raw: any): Site | undefined {
    if (!isObject(raw)) {
        c.err("site", "required object")
        return undefined
    }
    if (c.admin) c.admin.keys(c, raw, "site", "site")
    const name = c.str(raw, "name", "site.name", undefined)
    let areaCode = c.str(raw, "areaCode", "site.areaCode", undefined)
    const x = c.admin
    if (x && areaCode !== undefined) x.areaCode(c, areaCode)
    const ipPrefix = c.str(raw, "ipPrefix", "site.ipPrefix", DEFAULT_IP_PREFIX)
    if (x && ipPrefix) x.ipPrefix(c, ipPrefix)
    const dfltEmergency = DEFAULT_EMERGENCY.slice(0)
    if (areaCode === "010") dfltEmergency.push(BEIJING_EMERGENCY)
    const emergency = c.digitList(
        raw,
        "emergency",
        "site.emergency",
        dfltEmergency,
        false
    )
    for (const e of MANDATORY_EMERGENCY)
        if (emergency.indexOf(e) < 0)
            c.err(
                "site.emergency",
                "must include " +
                    e +
                    ": national emergency numbers cannot be removed"
            )
    if (x) x.emergency(c, emergency)

    // The site's premium lines add to the built-in ones, never remove them.
    const sitePremium = c.digitList(
        raw,
        "premiumPrefixes",
        "site.premiumPrefixes",
        [],
        true
    )
    const premiumPrefixes = DEFAULT_PREMIUM.slice(0)
    for (const p of sitePremium)
        if (premiumPrefixes.indexOf(p) < 0) premiumPrefixes.push(p)
    if (x) x.premium(c, sitePremium, emergency)

    const outsideLinePrefix = c.str(
        raw,
        "outsideLinePrefix",
        "site.outsideLinePrefix",
        ""
    )
    if (x) x.outsideLine(c, outsideLinePrefix, emergency)

    const ringsBeforeForward = c.int(
        raw,
        "ringsBeforeForward",
        "site.ringsBeforeForward",
        DEFAULT_RINGS_BEFORE_FORWARD,
        1,
        20
    )

    const blocked = c.digitList(raw, "blocked", "site.blocked", [], false)
    for (let i = 0; i < blocked.length; ++i)
        for (const e of emergency)
            if (e.indexOf(blocked[i]) === 0)
                c.err(
                    "site.blocked[" + i + "]",
                    "would block emergency number " + e
                )
    const allowed = c.digitList(raw, "allowed", "site.allowed", [], false)
    if (x) x.lists(c, blocked, allowed, ipPrefix)

    let timers = DEFAULT_TIMERS
    const t = raw.timers
    if (t !== undefined) {
        if (!isObject(t)) c.err("site.timers", "must be an object")
        else {
            if (c.admin) c.admin.keys(c, t, "site.timers", "timers")
            timers = {
                firstDigitMs: c.int(
                    t,
                    "firstDigitMs",
                    "site.timers.firstDigitMs",
                    DEFAULT_TIMERS.firstDigitMs,
                    1000,
                    60000
                ),
                interDigitMs: c.int(
                    t,
                    "interDigitMs",
                    "site.timers.interDigitMs",
                    DEFAULT_TIMERS.interDigitMs,
                    1000,
                    30000
                ),
                shortMs: c.int(
                    t,
                    "shortMs",
                    "site.timers.shortMs",
                    DEFAULT_TIMERS.shortMs,
                    500,
                    10000
                ),
            }
            if (x) x.timers(c, timers)
        }
    }
    return {
        name,
        areaCode,
        ipPrefix,
        emergency,
        premiumPrefixes,
        outsideLinePrefix,
        ringsBeforeForward,
        blocked,
        allowed,
        timers,
    }
}

function checkDepartments(c: Checker, raw: any): Department[] {
    const out: Department[] = []
    // Department ids seen, keyed "#" + id (an id may be "constructor").
    const ids: any = {}
    if (!Array.isArray(raw)) {
        c.err("departments", "required list")
        return out
    }
    for (let i = 0; i < raw.length; ++i) {
        const p = "departments[" + i + "]"
        const d = raw[i]
        if (!isObject(d)) {
            c.err(p, "must be an object")
            continue
        }
        if (c.admin) c.admin.keys(c, d, p, "department")
        const id = c.str(d, "id", p + ".id", undefined)
        if (id === "") c.err(p + ".id", "must not be empty")
        else if (id !== undefined && c.admin)
            c.admin.departmentId(c, id, p, ids)
        const dep: Department = {
            id,
            name: c.str(d, "name", p + ".name", ""),
            floor: c.int(d, "floor", p + ".floor", undefined, -10, 200),
            x: c.num(d, "x", p + ".x"),
            y: c.num(d, "y", p + ".y"),
        }
        if (c.admin && d.head !== undefined) c.admin.head(c, d, dep, p)
        out.push(dep)
    }
    return out
}

/** The first department ids, for a message (all of them could be thousands). */
function someIds(departments: Department[]): string {
    const ids: string[] = []
    for (let i = 0; i < departments.length && i < 10; ++i)
        ids.push(departments[i].id)
    if (departments.length > 10)
        ids.push("... " + departments.length + " in all")
    return ids.join(", ") || "none"
}

function checkHandsets(
    c: Checker,
    raw: any,
    departments: Department[],
    site: Site | undefined
): Handset[] {
    const out: Handset[] = []
    if (!Array.isArray(raw)) {
        c.err("handsets", "required list")
        return out
    }
    // Lookups by key, so that the cost grows with handsets + departments.
    const deptIds: any = {}
    for (const d of departments) deptIds["#" + d.id] = true
    let known: string | undefined
    const seen: any = {}
    for (let i = 0; i < raw.length; ++i) {
        const p = "handsets[" + i + "]"
        const h = raw[i]
        if (!isObject(h)) {
            c.err(p, "must be an object")
            continue
        }
        if (c.admin) c.admin.keys(c, h, p, "handset")
        const ext = c.str(h, "extension", p + ".extension", undefined)
        const problem = ext === undefined ? "" : extensionProblem(ext)
        if (problem) c.err(p + ".extension", quote(ext) + " " + problem)
        else if (ext !== undefined) {
            if (site && c.admin) c.admin.extension(c, ext, p, site)
            if (seen[ext])
                c.err(
                    p + ".extension",
                    "duplicate extension " +
                        quote(ext) +
                        " (also " +
                        seen[ext] +
                        ")"
                )
            else seen[ext] = p
        }
        const dept = c.str(h, "department", p + ".department", undefined)
        if (dept !== undefined && !deptIds["#" + dept]) {
            if (known === undefined) known = someIds(departments)
            c.err(
                p + ".department",
                "unknown department " + quote(dept) + " (known: " + known + ")"
            )
        }
        const allow = c.str(
            h,
            "allow",
            p + ".allow",
            "internal"
        ) as ServiceClass
        if (allow !== undefined && SERVICE_CLASSES.indexOf(allow) < 0)
            c.err(
                p + ".allow",
                quote(allow) + " must be one of " + SERVICE_CLASSES.join(", ")
            )
        const hs: Handset = {
            extension: ext,
            department: dept,
            allow,
            receiveOnly: c.bool(h, "receiveOnly", p + ".receiveOnly"),
            suspended: c.bool(h, "suspended", p + ".suspended"),
            name: c.str(h, "name", p + ".name", ""),
        }
        if (c.admin && h.owner !== undefined)
            hs.owner = c.admin.owner(c, h.owner, p + ".owner")
        out.push(hs)
    }
    return out
}

/** A name, or a non-empty list of different names: always a list after. */
function checkOwner(c: Checker, v: any, path: string): string[] {
    const list = typeof v === "string" ? [v] : v
    const why = "must be a name or a list of names"
    if (!Array.isArray(list) || list.length === 0) {
        c.err(path, why)
        return []
    }
    const out: string[] = []
    for (let i = 0; i < list.length; ++i) {
        const n = list[i]
        const p = Array.isArray(v) ? path + "[" + i + "]" : path
        if (typeof n !== "string" || n.trim() === "" || n.length > 64)
            c.err(p, "must be a name of 1-64 characters, not " + quote(n))
        else if (out.indexOf(n) >= 0) c.err(p, "duplicate " + quote(n))
        else out.push(n)
    }
    return out
}

function checkTariffs(c: Checker, raw: any): Record<string, Tariff> {
    const out: Record<string, Tariff> = {}
    if (!isObject(raw)) {
        c.err("tariffs", "must map call categories to tariffs")
        return out
    }
    c.keys(raw, "tariffs", TARIFF_CATEGORIES)
    for (const cat of TARIFF_CATEGORIES) {
        const t = raw[cat]
        if (t === undefined) continue
        const p = "tariffs." + cat
        if (!isObject(t)) {
            c.err(p, "must be an object")
            continue
        }
        const known = ["firstSeconds", "first", "unitSeconds", "unit"]
        if (cat === "international") known.push("prefixes")
        c.keys(t, p, known)
        const tariff: Tariff = {
            unitSeconds: c.int(
                t,
                "unitSeconds",
                p + ".unitSeconds",
                undefined,
                1,
                3600
            ),
            unit: c.int(t, "unit", p + ".unit", undefined, 0, MAX_FEN),
        }
        if (t.firstSeconds !== undefined || t.first !== undefined) {
            tariff.firstSeconds = c.int(
                t,
                "firstSeconds",
                p + ".firstSeconds",
                undefined,
                1,
                86400
            )
            tariff.first = c.int(
                t,
                "first",
                p + ".first",
                undefined,
                0,
                MAX_FEN
            )
        }
        if (t.prefixes !== undefined) {
            if (!isObject(t.prefixes))
                c.err(
                    p + ".prefixes",
                    "must map number prefixes to a unit price"
                )
            else {
                const prefixes: Record<string, number> = {}
                for (const k of Object.keys(t.prefixes)) {
                    const kp = p + ".prefixes." + k
                    if (!isDigits(k) || k.length > 20 || k.indexOf("00") !== 0)
                        c.err(
                            kp,
                            "must be an international number prefix: 00 then digits"
                        )
                    else
                        prefixes[k] = c.int(
                            t.prefixes,
                            k,
                            kp,
                            undefined,
                            0,
                            MAX_FEN
                        )
                }
                tariff.prefixes = prefixes
            }
        }
        out[cat] = tariff
    }
    return out
}

/**
 * The keys only a board policy has (devs/policy/boardPolicy.ts), written by
 * the CLI, not by admins. The words of `extensions` are checked while the
 * plan is compiled (in VM-sized steps: it can list thousands).
 */
function checkBoardPart(c: Checker, raw: any, policy: Policy) {
    if (raw.board !== undefined) {
        if (
            typeof raw.board !== "string" ||
            raw.board.length === 0 ||
            raw.board.length > 64
        )
            c.err("board", "must be the board id, 1-64 characters")
        else policy.board = raw.board
    }
    if (raw.extensions !== undefined) {
        if (typeof raw.extensions !== "string")
            c.err("extensions", "must be extensions separated by single spaces")
        else policy.extensions = raw.extensions
    }
    if (raw.forward !== undefined) {
        if (!isObject(raw.forward)) {
            c.err(
                "forward",
                "must map forward chains to the extensions whose calls follow them"
            )
            return
        }
        for (const chain of Object.keys(raw.forward)) {
            const words = raw.forward[chain]
            if (chain.length > 8 * 7)
                c.err(
                    "forward." + chain,
                    "a forward chain has at most 8 extensions"
                )
            if (typeof words !== "string")
                c.err(
                    "forward." + chain,
                    "must be the extensions whose calls follow this chain"
                )
        }
        policy.forward = raw.forward
    }
}

/**
 * Issue 12 office-rule checks: `checkOfficeRules` (devs/policy/officeRules.ts,
 * every rule with its message) on the host, which checks every policy
 * before it signs, pushes or flashes it; the firmware runs `guardOfficeRules`
 * instead (only what keeps the port safe), as its function bytecode is near
 * the VM image's 64 KB limit.
 */
export type OfficeChecks = (
    err: (path: string, why: string) => void,
    raw: any,
    policy: Policy
) => void

/**
 * Validates a parsed policy document as the admin's tools do before they
 * sign, push or flash it: every check, each slip with its message. (The
 * board runs guardPolicy, ./guard.ts, on what it receives.)
 * `policy` is set only when there are no errors.
 */
export function validatePolicy(raw: any, office?: OfficeChecks): Validation {
    return readPolicy(raw, adminChecks(), office)
}

function readPolicy(
    raw: any,
    admin: AdminChecks | undefined,
    office: OfficeChecks | undefined
): Validation {
    const c = new Checker()
    c.admin = admin
    if (!isObject(raw)) {
        c.err("(policy)", "must be a JSON object")
        return { errors: c.errors }
    }
    if (c.admin) c.admin.keys(c, raw, "", "policy")
    const version = c.int(raw, "version", "version", undefined, 1, 2147483647)
    const site = checkSite(c, raw.site)
    const departments = checkDepartments(c, raw.departments)
    const handsets = checkHandsets(c, raw.handsets, departments, site)
    // (site is undefined only with errors: see Checker)
    const policy: Policy = {
        version,
        site: site as Site,
        departments,
        handsets,
    }
    if (c.admin) c.admin.bill(c, raw, policy)
    checkBoardPart(c, raw, policy)
    // issue 12 office rules (devs/policy/officeRules.ts)
    if (site)
        (office || guardOfficeRules)((p, why) => c.err(p, why), raw, policy)
    if (c.errors.length) return { errors: c.errors }
    return { policy, errors: [] }
}

// ------------------------------------------------ the admin's checks (host)

/** The checks validatePolicy adds to guardPolicy's, called where they apply. */
interface AdminChecks {
    keys(c: Checker, obj: any, path: string, what: string): void
    areaCode(c: Checker, areaCode: string): void
    ipPrefix(c: Checker, ipPrefix: string): void
    emergency(c: Checker, emergency: string[]): void
    premium(c: Checker, sitePremium: string[], emergency: string[]): void
    outsideLine(c: Checker, prefix: string, emergency: string[]): void
    lists(c: Checker, blocked: string[], allowed: string[], ip: string): void
    timers(c: Checker, timers: Timers): void
    departmentId(c: Checker, id: string, p: string, ids: any): void
    head(c: Checker, raw: any, dep: Department, p: string): void
    extension(c: Checker, ext: string, p: string, site: Site): void
    owner(c: Checker, v: any, path: string): string[]
    bill(c: Checker, raw: any, policy: Policy): void
}

function adminChecks(): AdminChecks {
    return {
        keys: checkKeys,
        areaCode: checkAreaCode,
        ipPrefix: checkIpPrefix,
        emergency: checkEmergencyPrefixes,
        premium: checkPremium,
        outsideLine: checkOutsideLine,
        lists: checkListPrefixes,
        timers: checkTimers,
        departmentId: checkDepartmentId,
        head: checkHead,
        extension: checkExtensionClash,
        owner: checkOwner,
        bill: checkBill,
    }
}

function checkAreaCode(c: Checker, areaCode: string) {
    if (!isDigits(areaCode) || areaCode.charAt(0) !== "0")
        c.err(
            "site.areaCode",
            quote(areaCode) +
                ' must be digits starting with the trunk prefix 0, e.g. "025"'
        )
    else if (!subscriberLengths(areaCode.slice(1)))
        c.err("site.areaCode", quote(areaCode) + " is not a Chinese area code")
}

function checkIpPrefix(c: Checker, ipPrefix: string) {
    if (!isIpPrefix(ipPrefix))
        c.err(
            "site.ipPrefix",
            quote(ipPrefix) +
                " is not an IP long-distance access code: one of " +
                IP_PREFIXES.join(", ") +
                ', another 179xx code, or "" for none'
        )
}

// An emergency number is dialled the moment it is complete, so one that
// starts another would make the longer one undiallable.
function checkEmergencyPrefixes(c: Checker, emergency: string[]) {
    for (let i = 0; i < emergency.length; ++i)
        for (const e of emergency)
            if (e !== emergency[i] && e.indexOf(emergency[i]) === 0)
                c.err(
                    "site.emergency[" + i + "]",
                    quote(emergency[i]) +
                        " is the start of emergency number " +
                        e +
                        ", which could then never be dialled"
                )
}

function checkPremium(c: Checker, sitePremium: string[], emergency: string[]) {
    for (let i = 0; i < sitePremium.length; ++i) {
        const p = sitePremium[i]
        const lit = splitPattern(p).literal
        if (lit.length < 3)
            c.err(
                "site.premiumPrefixes[" + i + "]",
                quote(p) + " needs at least 3 leading digits"
            )
        for (const e of emergency)
            if (startsWithEither(lit, e))
                c.err(
                    "site.premiumPrefixes[" + i + "]",
                    "would block emergency number " + e
                )
    }
    for (const p of DEFAULT_PREMIUM)
        for (const e of emergency)
            if (startsWithEither(splitPattern(p).literal, e))
                c.err(
                    "site.emergency",
                    quote(e) + " overlaps the premium line " + p + " (built in)"
                )
}

function checkOutsideLine(
    c: Checker,
    outsideLinePrefix: string,
    emergency: string[]
) {
    if (
        outsideLinePrefix &&
        (!isDigits(outsideLinePrefix) || outsideLinePrefix.length > 2)
    )
        c.err(
            "site.outsideLinePrefix",
            quote(outsideLinePrefix) + ' must be 1-2 digits (or "" for none)'
        )
    else if (outsideLinePrefix)
        for (const e of emergency)
            if (startsWithEither(outsideLinePrefix, e))
                c.err(
                    "site.outsideLinePrefix",
                    quote(outsideLinePrefix) +
                        " clashes with emergency number " +
                        e
                )
}

function checkListPrefixes(
    c: Checker,
    blocked: string[],
    allowed: string[],
    ipPrefix: string
) {
    // IP prefixes are stripped before a number is matched, so an entry
    // starting with one would never match anything.
    const ipPrefixes = IP_PREFIXES.slice(0)
    ipPrefixes.push(ipPrefix)
    // So is 00 86, China's own calling code, before a national number.
    const china = "00" + CHINA_CALLING_CODE
    const checkIp = (list: string[], key: string) => {
        for (let i = 0; i < list.length; ++i) {
            const p = startOf(list[i], ipPrefixes)
            if (p)
                c.err(
                    key + "[" + i + "]",
                    quote(list[i]) +
                        " starts with the IP prefix " +
                        p +
                        ", which is stripped before numbers are matched: list the number without it"
                )
            else if (list[i].indexOf(china) === 0)
                c.err(
                    key + "[" + i + "]",
                    quote(list[i]) +
                        " starts with " +
                        china +
                        ", China's own calling code: list the national number (0 + area code, or the mobile or service number)"
                )
        }
    }
    checkIp(blocked, "site.blocked")
    checkIp(allowed, "site.allowed")
}

function checkTimers(c: Checker, timers: Timers) {
    if (timers.shortMs > timers.interDigitMs)
        c.err(
            "site.timers.shortMs",
            "must not be longer than interDigitMs (" + timers.interDigitMs + ")"
        )
}

function checkDepartmentId(c: Checker, id: string, p: string, ids: any) {
    if (ids["#" + id]) c.err(p + ".id", "duplicate department " + quote(id))
    ids["#" + id] = true
}

function checkHead(c: Checker, d: any, dep: Department, p: string) {
    const head = c.str(d, "head", p + ".head", "")
    if (head !== undefined && head.trim() === "")
        c.err(p + ".head", "must be a name")
    else dep.head = head
}

function checkExtensionClash(c: Checker, ext: string, p: string, site: Site) {
    if (
        site &&
        site.outsideLinePrefix &&
        ext.indexOf(site.outsideLinePrefix) === 0
    )
        c.err(
            p + ".extension",
            quote(ext) +
                " starts with the outside-line prefix " +
                site.outsideLinePrefix
        )
    else if (site && startOf(ext, site.emergency))
        c.err(
            p + ".extension",
            quote(ext) +
                " starts with emergency number " +
                startOf(ext, site.emergency) +
                ", so it could never be dialled"
        )
}

function checkBill(c: Checker, raw: any, policy: Policy) {
    if (raw.tariffs !== undefined) policy.tariffs = checkTariffs(c, raw.tariffs)
    if (raw.premiumFine !== undefined)
        policy.premiumFine = c.int(
            raw,
            "premiumFine",
            "premiumFine",
            DEFAULT_PREMIUM_FINE,
            0,
            MAX_FEN
        )
}

/** Keys the admin may have mistyped: unknown ones, with the known ones listed. */
function checkKeys(c: Checker, obj: any, path: string, what: string) {
    if (what === "site")
        c.keys(
            obj,
            path,
            [
                "name",
                "areaCode",
                "ipPrefix",
                "emergency",
                "premiumPrefixes",
                "outsideLinePrefix",
                "ringsBeforeForward",
                "blocked",
                "allowed",
                "timers",
            ],
            OFFICE_SITE_KEYS
        )
    if (what === "timers")
        c.keys(obj, path, ["firstDigitMs", "interDigitMs", "shortMs"])
    if (what === "department")
        c.keys(obj, path, ["id", "name", "floor", "x", "y", "head"])
    if (what === "handset")
        c.keys(obj, path, [
            "extension",
            "department",
            "allow",
            "receiveOnly",
            "suspended",
            "name",
            "owner",
        ])
    if (what === "policy")
        c.keys(
            obj,
            path,
            [
                "version",
                "site",
                "departments",
                "handsets",
                "authCodes",
                "tariffs",
                "premiumFine",
            ],
            ["board", "extensions", "forward"]
        )
}
