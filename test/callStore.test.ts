// calls.sqlite (src/fleet/callStore.ts): one row per record id, resends
// are no-ops, conflicts kept aside, the JSONL files of older versions
// imported once, the month queried in Beijing time. Real SQLite files.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { afterAll, describe, expect, test } from "vitest"
import { openRegister } from "../src/fleet/collect"
import { CallStore, openForReading } from "../src/fleet/callStore"
import { CallRecord } from "../src/fleet/topics"

const TMP = mkdtempSync(join(tmpdir(), "dialguard-callstore-"))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

// 2026-11-04 14:05:09 Beijing; 2026-11-30 23:59:59 Beijing; 2026-12-01 00:00:00 Beijing
const T1 = 1793772309
const END_NOV = 1796054399
const DEC = 1796054400

const old: CallRecord = {
    board: "desk-a",
    handset: "8001",
    number: "01012345678",
    category: "domestic",
    start: T1,
    seconds: 125,
    id: "desk-a-1-1",
}

describe("calls.sqlite", () => {
    test("a resend is a no-op, other content under a known id a conflict", () => {
        const dir = join(TMP, "a")
        const { store } = openRegister(dir)
        expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal")
        expect(store.add(old)).toBe("new")
        expect(store.add({ ...old })).toBe("duplicate")
        expect(store.add({ ...old, seconds: 126 })).toBe("conflict")
        expect(store.size).toBe(1)
        expect(store.conflicts().map(c => c.id)).toStrictEqual(["desk-a-1-1"])
        store.close()
        // after a restart: the same
        const again = openRegister(dir).store
        expect(again.add({ ...old })).toBe("duplicate")
        expect(again.month("2026-11")).toStrictEqual([old])
        again.close()
    })

    test("the month is Beijing time of the start; typed columns for finance", () => {
        const { store } = openRegister(join(TMP, "b"))
        const missed: CallRecord = {
            board: "desk-a",
            handset: "8002",
            number: "13912345678",
            category: "incoming",
            start: END_NOV,
            seconds: 0,
            id: "desk-a-1-2",
            dir: "in",
            outcome: "missed",
            for: "8001",
            rings: 7,
            hops: 1,
        }
        store.add(missed)
        store.add({
            ...old,
            id: "desk-a-1-3",
            start: DEC,
            dial: "1790901012345678",
        })
        store.add({ ...old, id: "desk-a-1-4", start: 0 })
        expect(store.month("2026-11").map(r => r.id)).toStrictEqual([
            "desk-a-1-2",
        ])
        expect(store.month("2026-12").map(r => r.id)).toStrictEqual([
            "desk-a-1-3",
        ])
        expect(store.month("unknown").map(r => r.id)).toStrictEqual([
            "desk-a-1-4",
        ])
        const row = store.db
            .prepare(
                "SELECT direction, number, outcome, for_ext, rings, hops FROM calls WHERE id = ?"
            )
            .get("desk-a-1-2")
        expect(row).toStrictEqual({
            direction: "in",
            number: "13912345678",
            outcome: "missed",
            for_ext: "8001",
            rings: 7,
            hops: 1,
        })
        const dec = store.db
            .prepare("SELECT dialled, outcome, seconds FROM calls WHERE id = ?")
            .get("desk-a-1-3")
        expect(dec).toStrictEqual({
            dialled: "1790901012345678",
            outcome: "answered",
            seconds: 125,
        })
        store.close()
    })

    test("JSONL files of older versions are imported once", () => {
        const dir = join(TMP, "c")
        mkdirSync(dir)
        writeFileSync(
            join(dir, "calls-2026-11.jsonl"),
            JSON.stringify(old) +
                "\n" +
                JSON.stringify(old) +
                "\nnot json\n" +
                JSON.stringify({ ...old, id: "desk-a-1-9", seconds: 0 }) +
                "\n"
        )
        // before the collector ran: report reads the files in memory
        const ro = openForReading(dir)
        expect(ro.month("2026-11").length).toBe(2)
        ro.close()
        const first = openRegister(dir)
        expect(first.imported).toBe(2)
        expect(first.store.warnings.join("\n")).toContain(
            "calls-2026-11.jsonl:3: not imported"
        )
        first.store.close()
        const second = openRegister(dir)
        expect(second.imported).toBe(0)
        expect(second.store.size).toBe(2)
        second.store.close()
        // finance can read it with any SQLite client
        const db = new Database(join(dir, "calls.sqlite"), { readonly: true })
        expect(
            db.prepare("SELECT file, records FROM imported").all()
        ).toStrictEqual([{ file: "calls-2026-11.jsonl", records: 2 }])
        db.close()
    })

    test("a newer schema is refused", () => {
        const file = join(TMP, "new.sqlite")
        const db = new Database(file)
        db.pragma("user_version = 99")
        db.close()
        expect(() => new CallStore(file)).toThrow(/schema version 99/)
    })
})
