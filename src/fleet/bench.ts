// Benchmark hook for `npm run bench`: how many counters messages per
// second the fleet side parses, checks and sums (the work `dialguard
// report` does per retained counters message), without any network.
//
//   import { measureCountersParsing } from "../src/fleet/bench"
//   const r = measureCountersParsing()   // { messagesPerSecond, ... }

import { CountersAccumulator, NAMES } from "./report"

export interface CountersParsingResult {
    /** Counters messages parsed, checked and summed per second. */
    messagesPerSecond: number
    messages: number
    handsetsPerMessage: number
    bytesPerMessage: number
    seconds: number
}

/** A realistic counters payload: every category, code and outcome present. */
export function sampleCountersPayload(
    board: string,
    month: string,
    handsets: number
): string {
    const hs: Record<string, unknown> = {}
    for (let i = 0; i < handsets; i++) {
        const n = (k: number) => (i * 7 + k * 13) % 50
        const rec = (names: string[], scale: number) =>
            Object.fromEntries(names.map((c, k) => [c, n(k) * scale]))
        hs[String(8000 + i)] = {
            calls: rec(NAMES.categories, 1),
            seconds: rec(NAMES.categories, 97),
            blocked: rec(NAMES.codes, 1),
            incoming: rec(NAMES.outcomes, 1),
        }
    }
    return JSON.stringify({ board, month, handsets: hs })
}

/**
 * Parses `boards` different counters messages of `handsetsPerBoard`
 * handsets over and over for about `minMs` milliseconds.
 */
export function measureCountersParsing(
    opts: { boards?: number; handsetsPerBoard?: number; minMs?: number } = {}
): CountersParsingResult {
    const boards = opts.boards ?? 20
    const perBoard = opts.handsetsPerBoard ?? 16
    const minMs = opts.minMs ?? 1000
    const payloads = Array.from({ length: boards }, (_, b) =>
        Buffer.from(sampleCountersPayload(`desk-${b}`, "2026-11", perBoard))
    )
    let messages = 0
    const start = process.hrtime.bigint()
    let elapsedMs = 0
    while (elapsedMs < minMs) {
        const acc = new CountersAccumulator()
        for (let b = 0; b < boards; b++)
            acc.add(`desk-${b}`, "2026-11", payloads[b])
        if (acc.messages !== boards)
            throw new Error("bench: a sample message was rejected")
        messages += boards
        elapsedMs = Number(process.hrtime.bigint() - start) / 1e6
    }
    const seconds = elapsedMs / 1000
    return {
        messagesPerSecond: Math.round(messages / seconds),
        messages,
        handsetsPerMessage: perBoard,
        bytesPerMessage: Math.round(
            payloads.reduce((n, p) => n + p.length, 0) / boards
        ),
        seconds,
    }
}
