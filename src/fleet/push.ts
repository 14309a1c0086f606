// `policy push`: validate a policy, cut each known board's share of it
// (devs/policy/boardPolicy.ts: a board's heap cannot hold a whole site),
// sign and publish each retained to the board's policy topic, then follow
// the boards' state and online topics until each board has applied it,
// refused it, is offline, or the time is up. "Applied" means the board's
// state names the very text it was sent as the one it enforces (its
// policyHash), not just a version as high. A message its board refused is
// taken back from the broker (the previous one restored), or every
// reconnect would bring it again to be refused again.

import { boardShare } from "./authCodes"
import { Policy } from "../../devs/policy/types"
import { CliError } from "../command"
import { checkPolicy, readPolicyDocument } from "../policyFile"
import { BoardVerifier, judge, refusalOf, SeenCounters } from "./boardSig"
import { FleetConnection } from "./broker"
import { policyText } from "../../devs/policy/policyLines"
import { boardKey, policyHash, sealBoardKey, sign } from "./sign"
import {
    BoardState,
    MAX_POLICY_PAYLOAD,
    POLICY_MESSAGE_VERSION,
    PolicyMessage,
    beijingTime,
    boardNews,
    isSiteId,
    onlineFilter,
    parseTopic,
    policyFilter,
    policyLineProblem,
    policyMessageText,
    policyTopic,
    readPolicyMessage,
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
    /**
     * A key rotation (`dialguard key rotate`): the new site key. Each
     * board's share is signed with its key from this one, and carries that
     * key sealed under the board's current key (from `key`).
     */
    nextKey?: Buffer
}

/** What one board is sent. */
export interface BoardMessage {
    board: string
    topic: string
    /** The signed text: the board policy as compact JSON. */
    text: string
    /** How the board's state names this text once it enforces it. */
    hash: string
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
    siteFlag: string | undefined,
    nextKey?: Buffer
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
        nextKey,
    }
    // the largest share: a board none of whose ports are in the policy
    boardMessage(prep, "x".repeat(64), [])
    return prep
}

/**
 * The signed message for board `board` whose ports serve `ports`. The board
 * re-parses and re-validates the text, a line at a time (policyText: JSON
 * in short lines, compact within a line, which keeps it small: boards take
 * at most 4096 bytes). Throws a CliError when it is larger.
 */
export function boardMessage(
    prep: PreparedPush,
    board: string,
    ports: string[]
): BoardMessage {
    // (a rotation: the authorization codes' HMACs are made with the new key)
    const siteKey = prep.nextKey ?? prep.key
    const text = policyText(
        boardShare(
            prep.policy,
            board,
            ports,
            siteKey,
            prep.nextKey ? [prep.key, prep.nextKey] : undefined
        )
    )
    const msg: PolicyMessage = {
        v: POLICY_MESSAGE_VERSION,
        site: prep.site,
        board,
        version: prep.version,
        policy: text,
        sig: sign(boardKey(siteKey, board), text),
    }
    if (prep.nextKey)
        msg.key = sealBoardKey(
            boardKey(prep.key, board),
            boardKey(siteKey, board)
        )
    const payload = policyMessageText(msg)
    const bytes = Buffer.byteLength(payload, "utf8")
    if (bytes > MAX_POLICY_PAYLOAD)
        throw new CliError(
            `policy message too large: ${bytes} bytes, the boards accept at most ${MAX_POLICY_PAYLOAD} ` +
                `(a board's share of ${prep.file}: its own handsets and the other ` +
                `${prep.policy.handsets.length - ports.length} extensions); ` +
                `nothing was published: split the site`
        )
    const long = policyLineProblem(text)
    if (long)
        throw new CliError(
            `a board's share of ${prep.file} has ${long}: ` +
                `number the other extensions in blocks, or split the site; nothing was published`
        )
    return {
        board,
        topic: policyTopic(prep.site, board),
        text,
        hash: policyHash(text),
        payload,
        bytes,
    }
}

export type PushResult =
    | "applied"
    | "rejected"
    | "superseded"
    | "offline"
    | "no answer"
    | "not sent"
    | "state refused"

export interface BoardOutcome {
    board: string
    result: PushResult
    detail: string
    /** Size of the message it was sent. */
    bytes?: number
    online?: boolean
    policyVersion?: number
    /** Refused: the message was taken back from the broker. */
    withdrawn?: boolean
    /** Refused: what the admin can do about it. */
    hint?: string
    /**
     * Why states on its state topic were not used (forged, unsigned or
     * replayed: src/fleet/PROTOCOL.md "Signed board messages").
     */
    refused?: string[]
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
    /** A key rotation: whether it is done, and what the admin does next. */
    rotation?: string
}

export interface Progress {
    applied: number
    rejected: number
    offline: number
    waiting: number
    secondsLeft: number
}

interface Track {
    /** Its last state (undefined: only its online topic is known). */
    state?: BoardState
    /** Its online topic (undefined: none). */
    online?: boolean
    /** A state arrived after the policy was published. */
    fresh: boolean
    /** What it was sent (undefined: nothing, see outcomeOf). */
    msg?: BoardMessage
    /** A refusal of this version seen before the push (shown if no new answer comes). */
    earlierRefusal?: string
    /** Why states of it were not used (not signed with its key, or replayed). */
    refused?: string[]
    /** Such a state came before the policy was published (its ports unknown then). */
    refusedBefore?: boolean
    /** A key rotation: its last state is signed with the key being replaced. */
    oldKey?: boolean
    /** Times its message was published again over an older one (see push). */
    republished?: number
}

/** How often a push puts its message back over older ones, per board. */
const MAX_REPUBLISH = 3

function isOnline(t: Track): boolean {
    // (firmware before the online topic said it in its state)
    return t.online ?? t.state?.online ?? false
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
    const m = readPolicyMessage(payload.toString("utf8"))
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
                `boards only take a new version: raise "version" in ${prep.file} to ${m.version + 1}` +
                (prep.nextKey && prep.policy.authCodes?.length
                    ? ` (a key rotation changes the share of a policy with authorization codes: their HMACs are made with the new key)`
                    : "") +
                `; nothing was published`
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
    const s: BoardState = t.state ?? { board }
    const online = isOnline(t)
    const base = {
        board,
        online,
        policyVersion: s.policyVersion,
        bytes: t.msg?.bytes,
    }
    if (!t.msg) {
        if (!final) return undefined
        if (t.refusedBefore)
            return {
                ...base,
                result: "state refused",
                detail:
                    `state refused: ${t.refused!.join("; ")}; nothing sent` +
                    (s.handsets
                        ? " (a verified state came since: push again)"
                        : ""),
            }
        return {
            ...base,
            result: "not sent",
            detail: s.handsets
                ? "appeared while the policy was being sent: push again"
                : t.state
                  ? "its state does not list its ports (older firmware): nothing sent"
                  : "it has not reported its state (its ports) yet: push again once it has",
        }
    }
    // Only an answer to this push counts: the board reports every policy
    // message it gets, with the hash of the text it enforces then.
    if (t.fresh && s.rejected && s.rejected.version === version)
        return {
            ...base,
            result: "rejected",
            detail: `version ${version} refused: ${s.rejected.reason || "(no reason given)"}`,
        }
    if (t.fresh && s.policyHash === t.msg.hash && !t.oldKey)
        return { ...base, result: "applied", detail: `version ${version}` }
    if (t.fresh && s.policyHash === t.msg.hash) {
        // (a key rotation: the board's states say which key it holds)
        if (!final) return undefined
        return {
            ...base,
            result: "no answer",
            detail:
                `enforces version ${version}, but its state is still signed with the old key: ` +
                `it has not taken the new key (its lastError may say why)` +
                (s.lastError ? `: ${s.lastError}` : ""),
        }
    }
    const pv = s.policyVersion
    // It moved past this version (another push at the same time): it can
    // only refuse this message now, if it reads it at all (a board drops
    // all but the newest of the messages waiting to be checked).
    if (t.fresh && pv !== undefined && pv > version)
        return {
            ...base,
            result: "superseded",
            detail: `runs version ${pv}, newer than ${version}: this message was not applied`,
        }
    const has =
        pv === undefined
            ? ""
            : pv === 0
              ? "no policy yet"
              : `still at version ${pv}`
    if (!online) {
        if (!final) return undefined
        const parts: string[] = []
        if (s.policyHash === t.msg.hash)
            parts.push("enforced this very policy when last heard of")
        else if (has) parts.push(has)
        if (s.ts) parts.push(`last seen ${beijingTime(s.ts)}`)
        parts.push(
            `gets version ${version} when it reconnects (the message is retained)`
        )
        return { ...base, result: "offline", detail: parts.join("; ") }
    }
    if (!final) return undefined
    const parts = [`no answer within ${timeoutS} s`]
    if (has) parts.push(has)
    if (t.fresh && pv === version && s.policyHash === undefined)
        parts.push(
            "its state does not say which policy text it enforces (older firmware)"
        )
    if (t.earlierRefusal) parts.push(`refused it earlier: ${t.earlierRefusal}`)
    return { ...base, result: "no answer", detail: parts.join("; ") }
}

/** What the admin can do about a board's refusal (its reason). */
function hintFor(reason: string, prep: PreparedPush): string | undefined {
    if (prep.nextKey && /signature/.test(reason))
        return (
            "the board did not take the new key: it holds a key other than the one given as --key " +
            "(run the rotation with the key file it was provisioned with), or its firmware predates key rotation " +
            "(re-flash it with 'dialguard flash --key NEWKEYFILE')"
        )
    const above =
        /older than version (\d+)|version (\d+) is already enforced/.exec(
            reason
        )
    if (above) {
        const n = Number(above[1] ?? above[2])
        return `raise "version" in ${prep.file} to ${n + 1} or more and push again`
    }
    if (/signature/.test(reason))
        return (
            "the board holds another site key: push with the key file it was provisioned with, " +
            "or give it this one with 'dialguard flash --key KEYFILE'"
        )
    if (/too large|out of memory/.test(reason))
        return "its share of the policy is too large for it: number the other extensions in blocks, or split the site"
    return undefined
}

/** What the admin can do about a board's refused states. */
function stateHint(reasons: string[]): string {
    if (reasons.some(r => r.startsWith("forged")))
        return (
            "its state is not signed with its key from this site key: the board holds another site key " +
            "(give it this one with 'dialguard flash --key KEYFILE'), or someone else published it " +
            "(check who may publish on its topics: the broker's ACL); 'dialguard status --key KEYFILE' shows its state"
        )
    if (reasons.some(r => r.startsWith("replayed")))
        return (
            "an older state of it was published again (check who may publish on its topics: the broker's ACL); " +
            "the board publishes its state anew when it reconnects"
        )
    return (
        "its state is not signed: firmware from before signed messages (update it with 'dialguard flash'), " +
        "or not published by the board; push uses only states signed with the board's key"
    )
}

/**
 * Takes back a refused message: the board would get it again at every
 * reconnect, refuse it again, and its state would keep saying so. Put back
 * instead: the newest other policy message seen on the topic (the one it
 * held before, or one another push put there meanwhile), or an empty
 * retained message that clears the topic. Only while the topic still holds
 * this push's message. Says what became of it, for the detail.
 */
async function withdraw(
    conn: FleetConnection,
    msg: BoardMessage,
    seen: string[],
    current: string | undefined
): Promise<{ withdrawn: boolean; detail: string }> {
    if (current !== msg.payload)
        return {
            withdrawn: false,
            detail: "its policy topic has changed since: left as it is",
        }
    let back = ""
    let version = 0
    for (const p of seen) {
        const v = readPolicyMessage(p)?.version
        if (p !== msg.payload && typeof v === "number" && v >= version) {
            back = p
            version = v
        }
    }
    try {
        await conn.publish(msg.topic, back, true)
    } catch (e) {
        return {
            withdrawn: false,
            detail: `could not take the message back (${(e as Error).message}): the board gets it again at each reconnect`,
        }
    }
    return {
        withdrawn: true,
        detail: back
            ? `taken back: the broker holds version ${version} for it again`
            : "taken back: the broker holds no policy for it again",
    }
}

/**
 * Cuts, signs and publishes every known board's policy, then follows the
 * boards. `onProgress` is called whenever a board answers and once a second.
 */
export async function push(
    conn: FleetConnection,
    prep: PreparedPush,
    timeoutMs: number,
    onProgress?: (p: Progress) => void,
    seen = new SeenCounters()
): Promise<PushOutcome> {
    const warnings: string[] = []
    // Every state is verified with its board's key (as status --key): a
    // forged, unsigned or replayed one is neither used to cut a share nor
    // taken as an answer.
    // (a rotation: states signed with the new key or the old one are the
    // board's; only one with the new key says it took the new key)
    const verifier = prep.nextKey
        ? new BoardVerifier(prep.nextKey, prep.key)
        : new BoardVerifier(prep.key)
    const oldKeyStates = new Map<string, boolean>()
    const tracks = new Map<string, Track>()
    /** topic -> payload not yet delivered back by the broker */
    const unechoed = new Map<string, string>()
    /** policy topic -> every payload seen on it, the retained one first */
    const onTopic = new Map<string, string[]>()
    let live = false
    /** The boards' answers are in (or the time is up): no more republishing. */
    let done = false
    let changed: (() => void) | undefined

    const onBoard = (topic: string, text: string) => {
        const news = boardNews(topic, text)
        if (!news) return
        if (news.error) {
            warnings.push(`ignoring ${topic}: ${news.error}`)
            return
        }
        const t = tracks.get(news.board) ?? { fresh: false }
        if (news.cleared) {
            if (parseTopic(topic)?.kind === "online") t.online = undefined
            else t.state = undefined
        }
        if (news.online !== undefined) t.online = news.online
        if (news.state) {
            t.state = news.state
            t.oldKey = oldKeyStates.get(news.board) === true
            t.fresh = t.fresh || live
            const r = news.state.rejected
            if (!live && r && r.version === prep.version)
                t.earlierRefusal = r.reason
        }
        if (t.state || t.online !== undefined || t.refused)
            tracks.set(news.board, t)
        else tracks.delete(news.board)
    }
    /** The text of a state to use, or undefined when it is refused. */
    const verified = (
        topic: string,
        board: string,
        text: string
    ): string | undefined => {
        if (text.length === 0) return text
        const o = verifier.open(topic, text)
        const notes: string[] = []
        const why =
            refusalOf(o, true) ||
            judge(seen, topic, "state", o.n!, o.value?.ts, notes, board)
        warnings.push(...notes)
        if (!why) {
            oldKeyStates.set(board, o.oldKey === true)
            return JSON.stringify(o.value)
        }
        const t = tracks.get(board) ?? { fresh: false }
        if (!(t.refused ?? []).includes(why))
            t.refused = [...(t.refused ?? []), why]
        if (!live) t.refusedBefore = true
        tracks.set(board, t)
        warnings.push(`board ${board}: ${topic} refused: ${why}`)
        return undefined
    }
    // An older version published over this push's message (another push,
    // started about when this one was, published after it): the broker's
    // retained message is what a board that was busy checking reads again,
    // so this one is put back (the newest wins; the older push sees its
    // board run a newer version).
    const republishOver = (topic: string, text: string) => {
        const v = readPolicyMessage(text)?.version
        if (typeof v !== "number" || v >= prep.version) return
        for (const t of tracks.values()) {
            if (t.msg?.topic !== topic) continue
            t.republished = (t.republished ?? 0) + 1
            if (t.republished > MAX_REPUBLISH) return
            warnings.push(
                `${topic}: version ${v} was published over version ${prep.version} (another push?); published version ${prep.version} again`
            )
            conn.publish(topic, t.msg.payload, true).catch(e =>
                warnings.push(
                    `${topic}: could not publish version ${prep.version} again: ${(e as Error).message}`
                )
            )
        }
    }
    const stop = conn.onMessage((t, payload) => {
        const pt = parseTopic(t)
        if (pt?.site !== prep.site || !pt.board) return
        let text: string | undefined = payload.toString("utf8")
        if (pt.kind === "state") text = verified(t, pt.board, text)
        if (text === undefined) {
            changed?.()
            return
        }
        if (pt.kind === "policy") {
            onTopic.set(t, [...(onTopic.get(t) ?? []), text])
            if (live && unechoed.get(t) === text) unechoed.delete(t)
            else if (live && !done) republishOver(t, text)
        } else onBoard(t, text)
        changed?.()
    })
    try {
        const retained = await conn.readRetained(
            [
                policyFilter(prep.site),
                stateFilter(prep.site),
                onlineFilter(prep.site),
            ],
            prep.site
        )
        // Every message is cut and checked before the first is published.
        let unchanged = 0
        for (const [board, t] of tracks) {
            if (!t.state?.handsets) continue
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
                    isOnline(t)
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
                else if (o?.result === "rejected" || o?.result === "superseded")
                    p.rejected++
                else if (!isOnline(t)) p.offline++
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
        done = true
        if (unechoed.size)
            throw new CliError(
                `broker ${conn.url} took the policy messages but never delivered ${[...unechoed.keys()].join(", ")} back: ` +
                    `is this login allowed to publish and subscribe there? (boards may not have received it)`
            )
        const boards: BoardOutcome[] = []
        for (const [board, t] of [...tracks.entries()].sort(([a], [b]) =>
            a.localeCompare(b)
        )) {
            const o = outcomeOf(board, t, prep.version, true, timeoutS)!
            if (
                (o.result === "rejected" || o.result === "superseded") &&
                t.msg
            ) {
                // (the reason first: taking the message back clears it)
                o.hint = hintFor(
                    o.result === "rejected"
                        ? (t.state?.rejected?.reason ?? "")
                        : `older than version ${t.state?.policyVersion}`,
                    prep
                )
                const seen = onTopic.get(t.msg.topic) ?? []
                const w = await withdraw(
                    conn,
                    t.msg,
                    seen,
                    seen[seen.length - 1]
                )
                o.detail += `; ${w.detail}`
                o.withdrawn = w.withdrawn
            }
            if (t.refused) {
                o.refused = t.refused
                if (o.result !== "state refused")
                    o.detail += `; state refused: ${t.refused.join("; ")} (not taken as its answer)`
                o.hint ??= stateHint(t.refused)
            }
            boards.push(o)
        }
        seen.save()
        warnings.push(...seen.warnings)
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
