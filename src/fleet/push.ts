// `policy push`: validate and sign a policy, publish it retained to the
// site's policy topic, then follow the boards' retained state topics until
// each board has applied it, refused it, is offline, or the time is up.

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
    policyTopic,
    siteIdFromName,
    stateFilter,
} from "./topics"

export interface PreparedPush {
    file: string
    site: string
    version: number
    /** The signed policy text (compact JSON of the file's document). */
    text: string
    sig: string
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
 * Validates the policy file exactly as the boards will, and builds the
 * signed message. Throws a CliError (every problem listed) when invalid or
 * too large; nothing is published then.
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
    // The board re-parses and re-validates this text; compact JSON keeps
    // the message small (the boards take at most 16000 bytes).
    const text = JSON.stringify(raw)
    const sig = sign(key, text)
    const msg: PolicyMessage = {
        v: POLICY_MESSAGE_VERSION,
        site,
        version: c.policy.version,
        policy: text,
        sig,
    }
    const payload = JSON.stringify(msg)
    const bytes = Buffer.byteLength(payload, "utf8")
    if (bytes > MAX_POLICY_PAYLOAD)
        throw new CliError(
            `policy message too large: ${bytes} bytes, the boards accept at most ${MAX_POLICY_PAYLOAD} ` +
                `(policy ${file} is ${Buffer.byteLength(text)} bytes as compact JSON, ${c.policy.handsets.length} handsets); ` +
                `nothing was published: shorten names or split the site`
        )
    return { file, site, version: c.policy.version, text, sig, payload, bytes }
}

export type PushResult = "applied" | "rejected" | "offline" | "no answer"

export interface BoardOutcome {
    board: string
    result: PushResult
    detail: string
    online?: boolean
    policyVersion?: number
}

export interface PushOutcome {
    site: string
    version: number
    topic: string
    bytes: number
    boards: BoardOutcome[]
    warnings: string[]
    /** The policy version the broker held before (undefined: none). */
    previous?: number
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
    /** A refusal of this version seen before the push (shown if no new answer comes). */
    earlierRefusal?: string
}

/** What the broker's retained policy message says, for the forward-only check. */
function checkPrevious(
    prep: PreparedPush,
    payload: Buffer | undefined,
    warnings: string[]
): number | undefined {
    if (!payload) return undefined
    const p = parsePayload(payload.toString("utf8"))
    const m = p.value as PolicyMessage | undefined
    if (!m || typeof m.version !== "number" || typeof m.policy !== "string") {
        warnings.push(
            `the retained message on ${policyTopic(prep.site)} is not a policy message; replacing it`
        )
        return undefined
    }
    if (m.version > prep.version)
        throw new CliError(
            `site ${prep.site} already has policy version ${m.version} on the broker; boards only move forward: ` +
                `raise "version" in ${prep.file} above ${m.version} (it is ${prep.version}); nothing was published`
        )
    if (m.version === prep.version && m.policy !== prep.text)
        throw new CliError(
            `site ${prep.site} already has a different policy version ${m.version} on the broker; ` +
                `boards only take a new version: raise "version" in ${prep.file} to ${m.version + 1}; nothing was published`
        )
    return m.version
}

function outcomeOf(
    board: string,
    t: Track,
    version: number,
    final: boolean,
    timeoutS: number
): BoardOutcome | undefined {
    const s = t.state
    const base = { board, online: s.online, policyVersion: s.policyVersion }
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
 * Publishes the prepared policy and follows the boards. `onProgress` is
 * called whenever a board answers and once a second.
 */
export async function push(
    conn: FleetConnection,
    prep: PreparedPush,
    timeoutMs: number,
    onProgress?: (p: Progress) => void
): Promise<PushOutcome> {
    const topic = policyTopic(prep.site)
    const warnings: string[] = []
    const tracks = new Map<string, Track>()
    let live = false
    let echoed = false
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
            earlierRefusal: prev?.earlierRefusal,
        }
        const r = c.value.rejected
        if (!live && r && r.version === prep.version)
            t.earlierRefusal = r.reason
        tracks.set(board, t)
    }
    const stop = conn.onMessage((t, payload) => {
        if (t === topic) {
            if (live && payload.toString("utf8") === prep.payload) echoed = true
            changed?.()
            return
        }
        const pt = parseTopic(t)
        if (pt?.kind === "state" && pt.site === prep.site && pt.board) {
            onState(pt.board, payload)
            changed?.()
        }
    })
    try {
        const retained = await conn.readRetained(
            [topic, stateFilter(prep.site)],
            prep.site
        )
        const previous = checkPrevious(prep, retained.get(topic), warnings)
        live = true
        await conn.publish(topic, prep.payload, true)

        const timeoutS = Math.round(timeoutMs / 1000)
        const started = Date.now()
        const echoWaitMs = Math.min(timeoutMs, 5000)
        const settled = () => {
            for (const [board, t] of tracks)
                if (
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
                else p.waiting++
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
                    const echoDone = echoed || elapsed >= echoWaitMs
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
        if (!echoed)
            throw new CliError(
                `broker ${conn.url} took the policy message but never delivered it back on ${topic}: ` +
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
            topic,
            bytes: prep.bytes,
            boards,
            warnings,
            previous,
        }
    } finally {
        stop()
    }
}
