// `policy push`: validate a policy, cut each known board's share of it
// (devs/policy/boardPolicy.ts: a board's heap cannot hold a whole site),
// sign and publish each retained to the board's policy topic, then follow
// the boards' retained state topics until each board has applied it,
// refused it, is offline, or the time is up.

import { boardPolicyDoc } from "../../devs/policy/boardPolicy"
import { Policy } from "../../devs/policy/types"
import { CliError } from "../command"
import { checkPolicy, readPolicyDocument } from "../policyFile"
import { FleetConnection } from "./broker"
import { sign } from "./sign"
import {
    BoardState,
    MAX_POLICY_PAYLOAD,
    POLICY_MESSAGE_VERSION,
    PolicyMessage,
    checkState,
    isSiteId,
    parsePayload,
    parseTopic,
    policyFilter,
    policyTopic,
    siteIdFromName,
    stateFilter,
} from "./topics"

export interface PreparedPush {
    file: string
    site: string
    version: number
    /** The validated site policy, defaults filled in. */
    policy: Policy
    key: Buffer
}

/** What one board is sent. */
export interface BoardMessage {
    board: string
    topic: string
    /** The signed text: the board policy as compact JSON. */
    text: string
    /** The message as published. */
    payload: string
    bytes: number
}

/** The site id: --site, else derived from the policy's site.name. */
export function resolveSite(
    flag: string | undefined,
    siteName: string
): string {
    if (flag !== undefined) return flag
    const id = siteIdFromName(siteName)
    if (!id)
        throw new CliError(
            `cannot derive a site id from site.name ${JSON.stringify(siteName)} (a-z 0-9 - only): give --site ID`
        )
    return id
}

/**
 * Validates the policy file exactly as the boards will. Throws a CliError
 * (every problem listed) when invalid; nothing is published then.
 */
export function preparePush(
    file: string,
    key: Buffer,
    siteFlag: string | undefined
): PreparedPush {
    const raw = readPolicyDocument(file)
    const c = checkPolicy(raw)
    if (!c.policy) {
        const n = c.errors.length
        throw new CliError(
            `policy file ${file} is invalid (${n} problem${n === 1 ? "" : "s"}); nothing was published:`,
            c.errors
                .map(e => `  ${file}: ${e}`)
                .concat(c.hints.map(h => `  hint: ${h}`))
        )
    }
    const site = resolveSite(siteFlag, c.policy.site.name)
    if (!isSiteId(site))
        throw new CliError(`bad site id ${JSON.stringify(site)}`)
    const prep = {
        file,
        site,
        version: c.policy.version,
        policy: c.policy,
        key,
    }
    // the largest share: a board none of whose ports are in the policy
    boardMessage(prep, "x".repeat(64), [])
    return prep
}

/**
 * The signed message for board `board` whose ports serve `ports`. The board
 * re-parses and re-validates the text; compact JSON keeps it small (boards
 * take at most 4096 bytes). Throws a CliError when it is larger.
 */
export function boardMessage(
    prep: PreparedPush,
    board: string,
    ports: string[]
): BoardMessage {
    const text = JSON.stringify(boardPolicyDoc(prep.policy, board, ports))
    const msg: PolicyMessage = {
        v: POLICY_MESSAGE_VERSION,
        site: prep.site,
        board,
        version: prep.version,
        policy: text,
        sig: sign(prep.key, text),
    }
    const payload = JSON.stringify(msg)
    const bytes = Buffer.byteLength(payload, "utf8")
    if (bytes > MAX_POLICY_PAYLOAD)
        throw new CliError(
            `policy message too large: ${bytes} bytes, the boards accept at most ${MAX_POLICY_PAYLOAD} ` +
                `(a board's share of ${prep.file}: its own handsets and the other ` +
                `${prep.policy.handsets.length - ports.length} extensions); ` +
                `nothing was published: split the site`
        )
    return { board, topic: policyTopic(prep.site, board), text, payload, bytes }
}

export type PushResult =
    "applied" | "rejected" | "offline" | "no answer" | "not sent"

export interface BoardOutcome {
    board: string
    result: PushResult
    detail: string
    /** Size of the message it was sent. */
    bytes?: number
    online?: boolean
    policyVersion?: number
}

export interface PushOutcome {
    site: string
    version: number
    /** The boards' policy topics (one per board). */
    topic: string
    /** Boards sent a message and the largest one's size. */
    sent: number
    bytes: number
    boards: BoardOutcome[]
    warnings: string[]
    /** Boards that already had exactly this (re-push). */
    unchanged: number
}

export interface Progress {
    applied: number
    rejected: number
    offline: number
    waiting: number
    secondsLeft: number
}

interface Track {
    state: BoardState
    /** Arrived after the policy was published. */
    fresh: boolean
    /** What it was sent (undefined: nothing, see outcomeOf). */
    msg?: BoardMessage
    /** A refusal of this version seen before the push (shown if no new answer comes). */
    earlierRefusal?: string
}

/**
 * The forward-only check against the board's retained policy message:
 * true when it already holds exactly this message.
 */
function checkPrevious(
    prep: PreparedPush,
    msg: BoardMessage,
    payload: Buffer | undefined,
    warnings: string[]
): boolean {
    if (!payload) return false
    const p = parsePayload(payload.toString("utf8"))
    const m = p.value as PolicyMessage | undefined
    if (!m || typeof m.version !== "number" || typeof m.policy !== "string") {
        warnings.push(
            `the retained message on ${msg.topic} is not a policy message; replacing it`
        )
        return false
    }
    const where = `board ${msg.board} already has policy version ${m.version} on the broker`
    if (m.version > prep.version)
        throw new CliError(
            `${where}; boards only move forward: ` +
                `raise "version" in ${prep.file} above ${m.version} (it is ${prep.version}); nothing was published`
        )
    if (m.version === prep.version && m.policy !== msg.text)
        throw new CliError(
            `${where}, with other content (another policy, or the board's ports changed); ` +
                `boards only take a new version: raise "version" in ${prep.file} to ${m.version + 1}; nothing was published`
        )
    return m.version === prep.version
}

function outcomeOf(
    board: string,
    t: Track,
    version: number,
    final: boolean,
    timeoutS: number
): BoardOutcome | undefined {
    const s = t.state
    const base = {
        board,
        online: s.online,
        policyVersion: s.policyVersion,
        bytes: t.msg?.bytes,
    }
    const pv = s.policyVersion
    if (pv !== undefined && pv >= version)
        return {
            ...base,
            result: "applied",
            detail:
                pv === version
                    ? `version ${pv}`
                    : `runs version ${pv} (newer than ${version})`,
        }
    if (!t.msg) {
        if (!final) return undefined
        return {
            ...base,
            result: "not sent",
            detail: s.handsets
                ? "appeared while the policy was being sent: push again"
                : "its state does not list its ports (older firmware): nothing sent",
        }
    }
    if (t.fresh && s.rejected && s.rejected.version === version)
        return {
            ...base,
            result: "rejected",
            detail: `version ${version} refused: ${s.rejected.reason || "(no reason given)"}`,
        }
    const has =
        pv === undefined
            ? ""
            : pv === 0
              ? "no policy yet"
              : `still at version ${pv}`
    if (!s.online) {
        if (!final) return undefined
        const was = has ? `${has}; ` : ""
        return {
            ...base,
            result: "offline",
            detail: `${was}gets version ${version} when it reconnects (the message is retained)`,
        }
    }
    if (!final) return undefined
    const parts = [`no answer within ${timeoutS} s`]
    if (has) parts.push(has)
    if (t.earlierRefusal) parts.push(`refused it earlier: ${t.earlierRefusal}`)
    return { ...base, result: "no answer", detail: parts.join("; ") }
}

/**
 * Cuts, signs and publishes every known board's policy, then follows the
 * boards. `onProgress` is called whenever a board answers and once a second.
 */
export async function push(
    conn: FleetConnection,
    prep: PreparedPush,
    timeoutMs: number,
    onProgress?: (p: Progress) => void
): Promise<PushOutcome> {
    const warnings: string[] = []
    const tracks = new Map<string, Track>()
    /** topic -> payload not yet delivered back by the broker */
    const unechoed = new Map<string, string>()
    let live = false
    let changed: (() => void) | undefined

    const onState = (board: string, payload: Buffer) => {
        if (payload.length === 0) {
            tracks.delete(board)
            return
        }
        const p = parsePayload(payload.toString("utf8"))
        const c =
            p.value !== undefined ? checkState(p.value) : { error: p.error }
        if (!c.value) {
            warnings.push(`ignoring the state of board ${board}: ${c.error}`)
            return
        }
        const prev = tracks.get(board)
        const t: Track = {
            state: c.value,
            fresh: live,
            msg: prev?.msg,
            earlierRefusal: prev?.earlierRefusal,
        }
        const r = c.value.rejected
        if (!live && r && r.version === prep.version)
            t.earlierRefusal = r.reason
        tracks.set(board, t)
    }
    const stop = conn.onMessage((t, payload) => {
        const pt = parseTopic(t)
        if (pt?.site !== prep.site || !pt.board) return
        if (pt.kind === "policy") {
            if (live && unechoed.get(t) === payload.toString("utf8"))
                unechoed.delete(t)
            changed?.()
        } else if (pt.kind === "state") {
            onState(pt.board, payload)
            changed?.()
        }
    })
    try {
        const retained = await conn.readRetained(
            [policyFilter(prep.site), stateFilter(prep.site)],
            prep.site
        )
        // Every message is cut and checked before the first is published.
        let unchanged = 0
        for (const [board, t] of tracks) {
            if (!t.state.handsets) continue
            const msg = boardMessage(prep, board, t.state.handsets)
            if (checkPrevious(prep, msg, retained.get(msg.topic), warnings))
                unchanged++
            t.msg = msg
        }
        live = true
        for (const t of tracks.values())
            if (t.msg) {
                unechoed.set(t.msg.topic, t.msg.payload)
                await conn.publish(t.msg.topic, t.msg.payload, true)
            }
        const sent = [...tracks.values()].filter(t => t.msg)

        const timeoutS = Math.round(timeoutMs / 1000)
        const started = Date.now()
        const echoWaitMs = Math.min(timeoutMs, 5000)
        const settled = () => {
            for (const [board, t] of tracks)
                if (
                    t.msg &&
                    !outcomeOf(board, t, prep.version, false, timeoutS) &&
                    t.state.online
                )
                    return false
            return true
        }
        const progress = () => {
            if (!onProgress) return
            const p: Progress = {
                applied: 0,
                rejected: 0,
                offline: 0,
                waiting: 0,
                secondsLeft: 0,
            }
            for (const [board, t] of tracks) {
                const o = outcomeOf(board, t, prep.version, false, timeoutS)
                if (o?.result === "applied") p.applied++
                else if (o?.result === "rejected") p.rejected++
                else if (!t.state.online) p.offline++
                else if (t.msg) p.waiting++
            }
            p.secondsLeft = Math.max(
                0,
                Math.ceil((started + timeoutMs - Date.now()) / 1000)
            )
            onProgress(p)
        }
        await conn.guard(
            new Promise<void>(resolve => {
                let timer: NodeJS.Timeout | undefined
                const check = () => {
                    const elapsed = Date.now() - started
                    const echoDone =
                        unechoed.size === 0 || elapsed >= echoWaitMs
                    if ((settled() && echoDone) || elapsed >= timeoutMs) {
                        clearInterval(timer)
                        changed = undefined
                        resolve()
                    }
                }
                changed = () => {
                    progress()
                    check()
                }
                timer = setInterval(() => {
                    progress()
                    check()
                }, 250)
                progress()
                check()
            })
        )
        if (unechoed.size)
            throw new CliError(
                `broker ${conn.url} took the policy messages but never delivered ${[...unechoed.keys()].join(", ")} back: ` +
                    `is this login allowed to publish and subscribe there? (boards may not have received it)`
            )
        const boards = [...tracks.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([board, t]) =>
                outcomeOf(board, t, prep.version, true, timeoutS)!
            )
        return {
            site: prep.site,
            version: prep.version,
            topic: policyFilter(prep.site),
            sent: sent.length,
            bytes: Math.max(0, ...sent.map(t => t.msg!.bytes)),
            boards,
            warnings,
            unchanged,
        }
    } finally {
        stop()
    }
}
