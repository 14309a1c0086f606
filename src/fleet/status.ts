// `status`: the boards of a site (or of every site) from their retained
// state and online topics, and the policy version the broker holds for
// each site. An offline board keeps its last state (version, firmware,
// last seen): its will only sets its online topic to false.

import {
    BoardVerifier,
    SeenCounters,
    verificationWarnings,
    verifyRetained,
} from "./boardSig"
import { FleetConnection } from "./broker"
import {
    BoardNews,
    beijingTime,
    boardNews,
    onlineFilter,
    parsePayload,
    parseTopic,
    policyFilter,
    readPolicyMessage,
    stateFilter,
} from "./topics"

export interface BoardStatus {
    site: string
    board: string
    online: boolean
    policyVersion?: number
    /** The version the broker holds for the site, when the board is behind it. */
    behind?: number
    firmware?: string
    /** Unix seconds of the board's last state (0 or absent: unknown). */
    ts?: number
    /** Beijing time of ts, "" when unknown. */
    lastSeen: string
    lastError: string
    rejected?: { version: number; reason: string }
    /**
     * Its signed messages (src/fleet/PROTOCOL.md): "verified", "refused"
     * (forged, unsigned or replayed: not used, `refused` says why) or
     * "unverified" (no site key given).
     */
    messages: "verified" | "refused" | "unverified"
    refused?: string[]
}

export interface FleetStatus {
    /** The site asked for, or undefined for every site. */
    site?: string
    /** site → newest policy version on the broker (any of its boards). */
    policies: Record<string, number>
    boards: BoardStatus[]
    warnings: string[]
}

export async function readStatus(
    conn: FleetConnection,
    site: string | undefined,
    verifier = new BoardVerifier(undefined),
    seen = new SeenCounters()
): Promise<FleetStatus> {
    const s = site ?? "+"
    const check = verifyRetained(
        await conn.readRetained(
            [stateFilter(s), onlineFilter(s), policyFilter(s)],
            site
        ),
        verifier,
        seen
    )
    const retained = check.use
    const policies: Record<string, number> = {}
    /** "site/board" → its last state and its online topic */
    const known = new Map<string, { news: BoardNews; online?: boolean }>()
    const warnings: string[] = verificationWarnings(check)
    const refused = new Map<string, string[]>()
    for (const r of check.refused) {
        const t = parseTopic(r.topic)!
        const key = `${t.site}/${r.board}`
        refused.set(key, [...(refused.get(key) ?? []), `state ${r.reason}`])
        // (a board whose state is refused is listed all the same)
        if (!known.has(key))
            known.set(key, { news: { site: t.site, board: r.board } })
    }
    for (const [topic, payload] of retained) {
        const text = payload.toString("utf8")
        const t = parseTopic(topic)
        if (t?.kind === "policy") {
            const m = readPolicyMessage(text)
            // the site's current version: the newest any board was sent
            if (m && typeof m.version === "number")
                policies[t.site] = Math.max(policies[t.site] ?? 0, m.version)
            else warnings.push(`${topic}: not a policy message`)
            continue
        }
        const news = boardNews(topic, text)
        if (!news) continue
        if (news.error) {
            warnings.push(`${topic}: ignored: ${news.error}`)
            continue
        }
        const key = `${news.site}/${news.board}`
        const k = known.get(key) ?? {
            news: { site: news.site, board: news.board },
        }
        if (news.online !== undefined) k.online = news.online
        if (news.state) k.news.state = news.state
        known.set(key, k)
    }
    const boards = [...known.values()].map(({ news, online }): BoardStatus => {
        const { site, board } = news
        const state = news.state ?? { board }
        const published = policies[site]
        const pv = state.policyVersion
        const b: BoardStatus = {
            site,
            board,
            // (firmware before the online topic said it in its state)
            online: online ?? state.online ?? false,
            policyVersion: pv,
            firmware: state.firmware,
            ts: state.ts,
            lastSeen: beijingTime(state.ts ?? 0),
            lastError: state.lastError ?? "",
            messages: refused.has(`${site}/${board}`)
                ? "refused"
                : check.verified.has(board) && verifier.siteKey
                  ? "verified"
                  : "unverified",
        }
        if (b.messages === "refused")
            b.refused = refused.get(`${site}/${board}`)
        if (published !== undefined && pv !== undefined && pv < published)
            b.behind = published
        // a refusal the board has since got past is history
        if (state.rejected && state.rejected.version > (pv ?? 0))
            b.rejected = state.rejected
        return b
    })
    boards.sort((a, b) =>
        a.site === b.site
            ? a.board.localeCompare(b.board)
            : a.site.localeCompare(b.site)
    )
    seen.save()
    warnings.push(...seen.warnings)
    return { site, policies, boards, warnings }
}

/** "3", "3 (behind 4)", "-" (unknown). */
export function policyCell(b: BoardStatus): string {
    if (b.policyVersion === undefined) return "-"
    const v = b.policyVersion === 0 ? "none" : String(b.policyVersion)
    return b.behind !== undefined ? `${v} (behind ${b.behind})` : v
}

/** The board's last error, and its last refusal of a policy. */
export function errorCell(b: BoardStatus): string {
    const parts: string[] = []
    for (const r of b.refused ?? []) parts.push(r)
    if (b.lastError) parts.push(b.lastError)
    if (b.rejected)
        parts.push(
            `refused policy version ${b.rejected.version}: ${b.rejected.reason}`
        )
    return parts.join("; ")
}
