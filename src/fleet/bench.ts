// Benchmark hooks for `npm run bench`, without any network: how many
// counters messages per second the fleet side parses, checks and sums (the
// work `dialguard report` does per retained counters message), and how
// many call records per second the collector stores (check, de-duplicate,
// append, fsync).
//
//   import { measureCountersParsing } from "../src/fleet/bench"
//   const r = measureCountersParsing()   // { messagesPerSecond, ... }

import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { BoardVerifier } from "./boardSig"
import { handleCallMessage, openRegister, RecordChecks } from "./collect"
import { boardKey, sign } from "./sign"
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
            caller: rec(NAMES.callerOutcomes, 1),
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

export interface CollectorResult {
    /** Call records checked, de-duplicated and committed (SQLite) per second. */
    recordsPerSecond: number
    records: number
    seconds: number
}

/** A call record message as a board sends it. */
export function sampleCallRecord(board: string, seq: number): string {
    return JSON.stringify({
        board,
        handset: String(8000 + (seq % 16)),
        number: "010" + String(12345678 + seq),
        category: seq % 5 ? "domestic" : "international",
        start: 1795741200 + seq * 60,
        seconds: seq % 300,
        id: `${board}-1-${seq}`,
    })
}

/**
 * What `dialguard collect` does per record, without the network: check
 * the message, skip a known id, insert it into calls.sqlite (WAL, synchronous FULL).
 * `records` new records, then as many resends (duplicates).
 */
export function measureCollector(
    opts: { records?: number; signed?: boolean } = {}
): CollectorResult & { duplicatesPerSecond: number } {
    const n = opts.records ?? 2000
    const dir = mkdtempSync(join(tmpdir(), "dialguard-bench-calls-"))
    const topic = "dialguard/hq/desk-0/calls"
    // signed: as the firmware signs them (devs/sync/sync.ts publish), and
    // checked with the site key as `collect --key` does
    const siteKey = Buffer.alloc(32, 1)
    const key = boardKey(siteKey, "desk-0")
    const payloads = Array.from({ length: n }, (_, i) => {
        const text = sampleCallRecord("desk-0", i + 1)
        if (!opts.signed) return Buffer.from(text)
        const nf = `,"n":[1,${i + 1}]`
        const sig = sign(key, topic + text + nf)
        return Buffer.from(text.slice(0, -1) + nf + `,"sig":"${sig}"}`)
    })
    const checks = new RecordChecks(
        new BoardVerifier(opts.signed ? siteKey : undefined)
    )
    try {
        const reg = openRegister(dir).store
        const t0 = process.hrtime.bigint()
        for (const p of payloads)
            if (handleCallMessage(reg, topic, p, checks).result !== "new")
                throw new Error("bench: a sample record was not stored")
        const t1 = process.hrtime.bigint()
        for (const p of payloads)
            if (handleCallMessage(reg, topic, p, checks).result !== "duplicate")
                throw new Error("bench: a resend was not recognised")
        const t2 = process.hrtime.bigint()
        reg.close()
        const seconds = Number(t1 - t0) / 1e9
        return {
            recordsPerSecond: Math.round(n / seconds),
            records: n,
            seconds,
            duplicatesPerSecond: Math.round(n / (Number(t2 - t1) / 1e9)),
        }
    } finally {
        rmSync(dir, { recursive: true, force: true })
    }
}
