// The MQTT contract between the boards of a site and the admin CLI, as code:
// topic names, message shapes and the checks applied to what boards send.
// src/fleet/PROTOCOL.md is the same contract in prose (for the firmware).
//
// Written in the DeviceScript subset (no RegExp, Date, Map or Set, no
// padStart), so the firmware may copy the topic builders and the time
// helpers instead of re-deriving them.

/** First topic level of everything DialGuard publishes. */
export const TOPIC_ROOT = "dialguard"
/** Version of the policy message's header ("v"). */
export { ENVELOPE_VERSION as POLICY_MESSAGE_VERSION } from "../../devs/sync/protocol"
export { MAX_POLICY_LINE } from "../../devs/sync/protocol"
import { MAX_POLICY_LINE } from "../../devs/sync/protocol"
/** Largest policy message payload a board accepts (devs/sync/protocol.ts). */
export const MAX_POLICY_PAYLOAD = 4096
/** Longest site id and board id. */
export const MAX_ID_LENGTH = 64
/** Month of the counters of calls made before the board knew the time. */
export { UNKNOWN_MONTH } from "../../devs/phone/counters"

// ---------------------------------------------------------------- ids

function isIdChar(c: number): boolean {
    return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 // a-z 0-9 -
}

/** A site id: 1-64 characters a-z 0-9 -. */
export function isSiteId(s: any): boolean {
    if (typeof s !== "string" || s.length === 0 || s.length > MAX_ID_LENGTH)
        return false
    for (let i = 0; i < s.length; ++i)
        if (!isIdChar(s.charCodeAt(i))) return false
    return true
}

/**
 * The default site id of a policy: site.name lower-cased, every character
 * other than a-z 0-9 replaced by "-" ("HQ Nanjing" → "hq-nanjing").
 * "" when that leaves no letter or digit (e.g. a name in Chinese only).
 */
export function siteIdFromName(name: string): string {
    const lower = name.toLowerCase()
    const out: string[] = []
    let useful = false
    for (let i = 0; i < lower.length; ++i) {
        const c = lower.charCodeAt(i)
        if (isIdChar(c)) {
            out.push(lower.charAt(i))
            if (c !== 45) useful = true
        } else out.push("-")
    }
    const id = out.join("")
    return useful && id.length <= MAX_ID_LENGTH ? id : ""
}

/**
 * A board id: one topic level of 1-64 characters, no "/", "+", "#",
 * control characters or spaces. Boards should use a-z 0-9 - only.
 */
export function isBoardId(s: any): boolean {
    if (typeof s !== "string" || s.length === 0 || s.length > MAX_ID_LENGTH)
        return false
    for (let i = 0; i < s.length; ++i) {
        const c = s.charCodeAt(i)
        if (c <= 32 || c === 35 || c === 43 || c === 47 || c === 127)
            return false
    }
    return true
}

// ---------------------------------------------------------------- topics

export function siteRoot(site: string): string {
    return TOPIC_ROOT + "/" + site + "/"
}

/** Retained, QoS 1, admin → one board: a PolicyMessage with its board policy. */
export function policyTopic(site: string, board: string): string {
    return siteRoot(site) + board + "/policy"
}

/** Retained, board → admin: a BoardState, the last one it published. */
export function stateTopic(site: string, board: string): string {
    return siteRoot(site) + board + "/state"
}

/**
 * Retained, board → admin: `true` after each connect, `false` as the
 * board's MQTT will (the broker publishes it when the board drops off).
 */
export function onlineTopic(site: string, board: string): string {
    return siteRoot(site) + board + "/online"
}

/** Retained, cumulative, board → admin: a CountersMessage for one month. */
export function countersTopic(
    site: string,
    board: string,
    month: string
): string {
    return siteRoot(site) + board + "/counters/" + month
}

/** QoS 1, not retained, board → admin: one CallRecord per long-distance call. */
export function callsTopic(site: string, board: string): string {
    return siteRoot(site) + board + "/calls"
}

/** Subscription filters; `site` may be "+" (every site). */
export function stateFilter(site: string): string {
    return stateTopic(site, "+")
}
export function onlineFilter(site: string): string {
    return onlineTopic(site, "+")
}
export function countersFilter(site: string, month: string): string {
    return countersTopic(site, "+", month)
}
export function callsFilter(site: string): string {
    return callsTopic(site, "+")
}
export function policyFilter(site: string): string {
    return policyTopic(site, "+")
}

/**
 * The admin's private topic for "every retained message has arrived"
 * markers: dialguard/<site>/_admin/sync/<client id>, or
 * dialguard/_admin/sync/<client id> when reading every site. Matches no
 * board topic filter ("_admin" is no board id, and the levels differ).
 */
export function syncTopic(site: string | undefined, clientId: string): string {
    const root = site && site !== "+" ? siteRoot(site) : TOPIC_ROOT + "/"
    return root + "_admin/sync/" + clientId
}

export type TopicKind = "policy" | "state" | "online" | "counters" | "calls"

export interface ParsedTopic {
    kind: TopicKind
    site: string
    board?: string
    /** "counters" only. */
    month?: string
}

/** What a DialGuard topic is, or undefined for any other topic. */
export function parseTopic(topic: string): ParsedTopic | undefined {
    const p = topic.split("/")
    if (p[0] !== TOPIC_ROOT || p.length < 3 || !isSiteId(p[1])) return undefined
    const site = p[1]
    const board = p[2]
    if (!isBoardId(board) || board === "_admin") return undefined
    if (p.length === 4 && p[3] === "policy")
        return { kind: "policy", site, board }
    if (p.length === 4 && p[3] === "state")
        return { kind: "state", site, board }
    if (p.length === 4 && p[3] === "online")
        return { kind: "online", site, board }
    if (p.length === 4 && p[3] === "calls")
        return { kind: "calls", site, board }
    if (p.length === 5 && p[3] === "counters")
        return { kind: "counters", site, board, month: p[4] }
    return undefined
}

// ---------------------------------------------------------------- messages

/**
 * dialguard/<site>/<board>/policy: on the wire a header line (JSON of the
 * other fields), "\n", then `policy` as it is (policyMessageText).
 */
export interface PolicyMessage {
    v: number
    site: string
    board: string
    version: number
    /**
     * The policy text exactly as signed, in short lines
     * (devs/policy/policyLines.ts); the board re-parses it.
     */
    policy: string
    /** Lower-case hex HMAC-SHA256(the board's key, UTF-8 bytes of `policy`). */
    sig: string
    /**
     * A key rotation only: the board's new key sealed under its current
     * one (sign.ts sealBoardKey); `sig` is then made with the new key.
     */
    key?: string
}

/**
 * Why a policy text cannot go to a board ("" when it can): a line longer
 * than a board reads whole (MAX_POLICY_LINE), e.g. the other extensions of
 * a site numbered one by one.
 */
export function policyLineProblem(text: string): string {
    for (const line of text.split("\n")) {
        const bytes = Buffer.byteLength(line, "utf8")
        if (bytes > MAX_POLICY_LINE)
            return `a line of ${bytes} bytes (${JSON.stringify(line.slice(0, 24))}…), boards read lines of at most ${MAX_POLICY_LINE}`
    }
    return ""
}

/** A policy message's payload: its header line, then the policy text. */
export function policyMessageText(m: PolicyMessage): string {
    const { policy, ...header } = m
    return JSON.stringify(header) + "\n" + policy
}

/**
 * A policy message read back (a retained one): the header's fields and the
 * text after it as `policy`; undefined when the payload is not one.
 */
export function readPolicyMessage(payload: string): PolicyMessage | undefined {
    const nl = payload.indexOf("\n")
    if (nl < 0) return undefined
    let header: any
    try {
        header = JSON.parse(payload.slice(0, nl))
    } catch {
        return undefined
    }
    if (typeof header !== "object" || header === null) return undefined
    return { ...header, policy: payload.slice(nl + 1) }
}

/** dialguard/<site>/<board>/state */
export interface BoardState {
    /**
     * Only in states of firmware before the online topic (its will
     * replaced the state); the online topic says it now.
     */
    online?: boolean
    board: string
    /** The extensions of its ports. */
    handsets?: string[]
    /** Version of the policy the board enforces; 0 = none yet. */
    policyVersion?: number
    /** First 16 hex digits of the SHA-256 of the policy text it enforces. */
    policyHash?: string
    firmware?: string
    lastError?: string
    /** The last policy the board refused. */
    rejected?: { version: number; reason: string }
    /** Unix seconds of this publication; 0 = the board does not know the time. */
    ts?: number
}

/** dialguard/<site>/<board>/counters/<YYYY-MM> */
export interface CountersMessage {
    board: string
    month: string
    handsets: Record<string, HandsetCounters>
}

export interface HandsetCounters {
    /** Calls placed, by category (CALL_CATEGORIES). */
    calls: Record<string, number>
    /** Talk seconds, by category. */
    seconds: Record<string, number>
    /** Refused attempts, by block code (BLOCKED_CODES). */
    blocked: Record<string, number>
    /** The handset's view of the calls that rang it, by outcome: onTime, late, forwarded, missed. */
    incoming: Record<string, number>
    /**
     * The caller's view of the calls that ended at it, by outcome: onTime
     * (answered within three rings of the caller's first ring, every hop
     * counted), late, missed.
     */
    caller: Record<string, number>
    /** Issue 12 office rules (RULE_COUNTS); only when the board sent them. */
    rules?: Record<string, number>
}

export type LongDistance = "domestic" | "international"

/** How a call ended (a record's `outcome`). */
export const OUTCOMES = [
    // outgoing
    "answered",
    "busy",
    "noAnswer",
    "unreachable",
    "rejected",
    "refused",
    // incoming, at the handset where the call ended
    "missed",
] as const
export type Outcome = (typeof OUTCOMES)[number]

/**
 * dialguard/<site>/<board>/calls: the record of one call (CDR), outgoing
 * (`dir` absent or "out") or incoming (`dir` "in"). Records of firmware
 * before issue 11 are long-distance calls with the first seven fields
 * only. Optional fields are left out when empty or 0; fields this
 * version does not know are kept (the collector stores the record whole).
 */
export interface CallRecord {
    board: string
    handset: string
    /**
     * Outgoing: the number as the user dialled it (without the IP prefix
     * the board adds); incoming: the caller's number.
     */
    number: string
    /** Outgoing: CALL_CATEGORIES; incoming: "incoming". */
    category: string
    /** Unix seconds when placed, or when it first rang here; 0 = the board did not know the time. */
    start: number
    /** Talk seconds; 0 = not answered. */
    seconds: number
    /** "<board>-<boot>-<seq>", unique forever per board: resends carry the same id. */
    id: string
    dir?: "out" | "in"
    /** Outgoing: the digits sent to the line, when not the number itself (IP or outside-line prefix added). */
    dial?: string
    /** Unix seconds when answered / when it ended. */
    answered?: number
    end?: number
    outcome?: Outcome
    /** Refused: the block code (BLOCKED_CODES); rejected: the SIP failure. */
    code?: string
    /** Incoming: the extension the call was for, when forwarded here. */
    for?: string
    /** Incoming: rings the caller heard until answered or given up, from the first ring (every hop). */
    rings?: number
    /** Incoming: times it was forwarded before it reached this handset. */
    hops?: number
    /** Issue 12: the owner of the authorization code that lifted the call. */
    owner?: string
    /** Issue 12: a private call (deductible from the handset owner's pay). */
    private?: boolean
}

// ---------------------------------------------------------------- checks

/** A checked message, or why it is unusable. */
export interface Checked<T> {
    value?: T
    error?: string
}

function isObj(v: any): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v)
}

function isCount(v: any): boolean {
    return (
        typeof v === "number" &&
        v >= 0 &&
        Math.floor(v) === v &&
        v <= 9007199254740991
    )
}

/** JSON text of a payload, or an error. */
export function parsePayload(text: string): Checked<any> {
    if (text.length === 0) return { error: "empty payload" }
    try {
        return { value: JSON.parse(text) }
    } catch (e) {
        return { error: "not JSON" }
    }
}

function isHex(s: any, digits: number): boolean {
    if (typeof s !== "string" || s.length !== digits) return false
    for (let i = 0; i < s.length; ++i) {
        const c = s.charCodeAt(i)
        if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false // 0-9 a-f
    }
    return true
}

/** The payload of an online topic: true or false. */
export function checkOnline(text: string): Checked<boolean> {
    if (text === "true") return { value: true }
    if (text === "false") return { value: false }
    return { error: "must be true or false" }
}

export function checkState(v: any): Checked<BoardState> {
    if (!isObj(v)) return { error: "not a JSON object" }
    if (v.online !== undefined && typeof v.online !== "boolean")
        return { error: '"online" must be true or false' }
    if (!isBoardId(v.board)) return { error: '"board" must be a board id' }
    const s: BoardState = { board: v.board }
    if (v.online !== undefined) s.online = v.online
    if (v.handsets !== undefined) {
        if (
            !Array.isArray(v.handsets) ||
            !v.handsets.every(
                (e: any) => typeof e === "string" && /^[0-9]{2,6}$/.test(e)
            )
        )
            return { error: '"handsets" must list extensions' }
        s.handsets = v.handsets
    }
    if (v.policyVersion !== undefined) {
        if (!isCount(v.policyVersion))
            return { error: '"policyVersion" must be a whole number ≥ 0' }
        s.policyVersion = v.policyVersion
    }
    if (v.policyHash !== undefined) {
        if (!isHex(v.policyHash, 16))
            return { error: '"policyHash" must be 16 hex digits' }
        s.policyHash = v.policyHash
    }
    if (v.firmware !== undefined) {
        if (typeof v.firmware !== "string")
            return { error: '"firmware" must be a string' }
        s.firmware = v.firmware
    }
    if (v.lastError !== undefined) {
        if (typeof v.lastError !== "string")
            return { error: '"lastError" must be a string' }
        s.lastError = v.lastError
    }
    if (v.rejected !== undefined && v.rejected !== null) {
        const r = v.rejected
        if (!isObj(r) || !isCount(r.version) || typeof r.reason !== "string")
            return { error: '"rejected" must be {"version":n,"reason":"..."}' }
        s.rejected = { version: r.version, reason: r.reason }
    }
    if (v.ts !== undefined) {
        if (!isCount(v.ts)) return { error: '"ts" must be unix seconds (or 0)' }
        s.ts = v.ts
    }
    return { value: s }
}

/** A message on a board's state or online topic, checked. */
export interface BoardNews {
    site: string
    board: string
    state?: BoardState
    online?: boolean
    /** The retained message was removed (empty payload). */
    cleared?: boolean
    error?: string
}

/** What `topic` says about its board; undefined for other topics. */
export function boardNews(topic: string, text: string): BoardNews | undefined {
    const t = parseTopic(topic)
    if (!t || !t.board || (t.kind !== "state" && t.kind !== "online"))
        return undefined
    const news: BoardNews = { site: t.site, board: t.board }
    if (text.length === 0) news.cleared = true
    else if (t.kind === "online") {
        const o = checkOnline(text)
        if (o.error) news.error = o.error
        else news.online = o.value
    } else {
        const p = parsePayload(text)
        const c =
            p.value !== undefined ? checkState(p.value) : { error: p.error }
        if (c.error) news.error = c.error
        else news.state = c.value
    }
    return news
}

function counts(
    v: any,
    path: string,
    known: string[],
    unknown: string[]
): Record<string, number> | string {
    const out: Record<string, number> = {}
    for (const k of known) out[k] = 0
    if (v === undefined) return out
    if (!isObj(v)) return path + " must be an object"
    for (const k of Object.keys(v)) {
        if (!isCount(v[k]))
            return path + "." + k + " must be a whole number ≥ 0"
        if (known.indexOf(k) < 0) unknown.push(path + "." + k)
        else out[k] = v[k]
    }
    return out
}

export interface CounterNames {
    categories: string[]
    codes: string[]
    outcomes: string[]
    callerOutcomes: string[]
    /** Issue 12: the office-rule counts (RULE_COUNTS). */
    rules?: string[]
}

/**
 * Checks a counters message. Every known key is filled in (0 when absent);
 * keys outside `names` are listed in `unknown` and left out.
 */
export function checkCounters(
    v: any,
    names: CounterNames,
    unknown: string[]
): Checked<CountersMessage> {
    if (!isObj(v)) return { error: "not a JSON object" }
    if (!isBoardId(v.board)) return { error: '"board" must be a board id' }
    if (typeof v.month !== "string")
        return { error: '"month" must be "YYYY-MM" or "unknown"' }
    if (!isObj(v.handsets)) return { error: '"handsets" must be an object' }
    const handsets: Record<string, HandsetCounters> = {}
    for (const ext of Object.keys(v.handsets)) {
        const h = v.handsets[ext]
        const at = "handsets." + ext
        if (!isObj(h)) return { error: at + " must be an object" }
        const calls = counts(h.calls, at + ".calls", names.categories, unknown)
        const seconds = counts(
            h.seconds,
            at + ".seconds",
            names.categories,
            unknown
        )
        const blocked = counts(h.blocked, at + ".blocked", names.codes, unknown)
        const incoming = counts(
            h.incoming,
            at + ".incoming",
            names.outcomes,
            unknown
        )
        const caller = counts(
            h.caller,
            at + ".caller",
            names.callerOutcomes,
            unknown
        )
        // issue 12: the office-rule group, when the board sent it
        const rules =
            h.rules !== undefined && names.rules
                ? counts(h.rules, at + ".rules", names.rules, unknown)
                : undefined
        for (const r of [calls, seconds, blocked, incoming, caller, rules])
            if (typeof r === "string") return { error: r }
        handsets[ext] = {
            calls: calls as Record<string, number>,
            seconds: seconds as Record<string, number>,
            blocked: blocked as Record<string, number>,
            incoming: incoming as Record<string, number>,
            caller: caller as Record<string, number>,
        }
        if (rules) handsets[ext].rules = rules as Record<string, number>
    }
    return { value: { board: v.board, month: v.month, handsets } }
}

function isNumberString(s: any): boolean {
    if (typeof s !== "string" || s.length === 0 || s.length > 32) return false
    for (let i = 0; i < s.length; ++i) {
        const c = s.charCodeAt(i)
        if (!((c >= 48 && c <= 57) || c === 42 || c === 35)) return false // 0-9 * #
    }
    return true
}

const KNOWN_RECORD_KEYS = [
    "board",
    "handset",
    "number",
    "category",
    "start",
    "seconds",
    "id",
    "dir",
    "dial",
    "answered",
    "end",
    "outcome",
    "code",
    "for",
    "rings",
    "hops",
]

export function checkCallRecord(v: any): Checked<CallRecord> {
    if (!isObj(v)) return { error: "not a JSON object" }
    if (typeof v.id !== "string" || v.id.length === 0 || v.id.length > 128)
        return { error: '"id" must be a non-empty string' }
    if (!isBoardId(v.board)) return { error: '"board" must be a board id' }
    if (typeof v.handset !== "string" || v.handset.length === 0)
        return { error: '"handset" must be an extension string' }
    if (v.dir !== undefined && v.dir !== "out" && v.dir !== "in")
        return { error: '"dir" must be "out" or "in"' }
    const incoming = v.dir === "in"
    // an unknown caller (withheld number) has an empty number
    if (!(incoming && v.number === "") && !isNumberString(v.number))
        return { error: '"number" must be the digits dialled (0-9 * #)' }
    if (
        typeof v.category !== "string" ||
        v.category.length === 0 ||
        v.category.length > 32
    )
        return { error: '"category" must be a call category' }
    if (
        v.owner !== undefined &&
        (typeof v.owner !== "string" || v.owner.length > 40)
    )
        return {
            error: '"owner" must be the code owner, at most 40 characters',
        }
    if (v.private !== undefined && v.private !== true)
        return { error: '"private" must be true when present' }
    if (!isCount(v.start))
        return { error: '"start" must be unix seconds (or 0)' }
    if (typeof v.seconds !== "number" || !(v.seconds >= 0) || v.seconds > 86400)
        return { error: '"seconds" must be a number 0-86400' }
    if (v.dial !== undefined && !isNumberString(v.dial))
        return { error: '"dial" must be the digits sent (0-9 * #)' }
    for (const k of ["answered", "end", "rings", "hops"])
        if (v[k] !== undefined && !isCount(v[k]))
            return { error: `"${k}" must be a whole number >= 0` }
    if (v.outcome !== undefined && OUTCOMES.indexOf(v.outcome) < 0)
        return { error: `"outcome" must be one of ${OUTCOMES.join(", ")}` }
    for (const k of ["code", "for"])
        if (
            v[k] !== undefined &&
            (typeof v[k] !== "string" || v[k].length > 64)
        )
            return { error: `"${k}" must be a short string` }
    const r: any = {}
    // the known fields in their order, then any others as they came
    for (const k of KNOWN_RECORD_KEYS) if (v[k] !== undefined) r[k] = v[k]
    for (const k of Object.keys(v))
        if (KNOWN_RECORD_KEYS.indexOf(k) < 0) r[k] = v[k]
    return { value: r as CallRecord }
}

/** A record's outcome; a long-distance record of older firmware has none: answered when it has talk time. */
export function outcomeOf(r: CallRecord): Outcome {
    if (r.outcome) return r.outcome
    if (r.dir === "in") return r.seconds > 0 ? "answered" : "missed"
    return r.seconds > 0 ? "answered" : "noAnswer"
}

export function isLongDistanceRecord(r: CallRecord): boolean {
    return (
        r.dir !== "in" &&
        (r.category === "domestic" || r.category === "international") &&
        outcomeOf(r) !== "refused"
    )
}

// ---------------------------------------------------------------- time

// One implementation of Beijing time for the board and the CLI.
export { beijingTime, monthOf } from "../../devs/app/clock"

/** "YYYY-MM" with a month 01-12. */
export function isMonth(s: any): boolean {
    if (typeof s !== "string" || s.length !== 7 || s.charAt(4) !== "-")
        return false
    for (let i = 0; i < 7; ++i) {
        const c = s.charCodeAt(i)
        if (i !== 4 && (c < 48 || c > 57)) return false
    }
    const m = parseInt(s.slice(5))
    return m >= 1 && m <= 12
}
