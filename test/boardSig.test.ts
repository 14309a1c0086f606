// The host's checks of signed board messages (src/fleet/boardSig.ts,
// src/fleet/collect.ts), message by message: signatures, topics, counters
// remembered between runs, a board whose count restarted (fresh flash), and
// the collector's rules for records. test/signed.e2e.test.ts does the same
// with the real firmware, broker and CLI.

import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Database from "better-sqlite3"
import { afterAll, describe, expect, test } from "vitest"
import {
    BoardVerifier,
    openSigned,
    SeenCounters,
    verifyRetained,
} from "../src/fleet/boardSig"
import { CallStore } from "../src/fleet/callStore"
import { handleCallMessage, RecordChecks } from "../src/fleet/collect"
import { boardKey, sign } from "../src/fleet/sign"

const SITE_KEY = Buffer.alloc(32, 5)
const TMP = mkdtempSync(join(tmpdir(), "dialguard-boardsig-"))
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

const STATE = "dialguard/hq/desk-a/state"
const NOV = "dialguard/hq/desk-a/counters/2026-11"
const CALLS = "dialguard/hq/desk-a/calls"

/** As the firmware signs (devs/sync/sync.ts publish). */
function signed(
    topic: string,
    value: object,
    n: [number, number],
    board = "desk-a"
) {
    const text = JSON.stringify(value)
    const nf = `,"n":[${n}]`
    const sig = sign(boardKey(SITE_KEY, board), topic + text + nf)
    return text.slice(0, -1) + nf + `,"sig":"${sig}"}`
}

const state = (ts: number, policyVersion = 3) => ({
    board: "desk-a",
    handsets: ["8001"],
    policyVersion,
    lastError: "",
    ts,
})
const counters = (domestic: number) => ({
    board: "desk-a",
    month: "2026-11",
    handsets: { "8001": { calls: { domestic } } },
})

function check(msgs: [string, string][], seen: SeenCounters) {
    const retained = new Map(msgs.map(([t, m]) => [t, Buffer.from(m)]))
    return verifyRetained(retained, new BoardVerifier(SITE_KEY), seen)
}

describe("openSigned", () => {
    const key = boardKey(SITE_KEY, "desk-a")
    test("a board's message verifies; n is read and left out of the value", () => {
        const o = openSigned(STATE, signed(STATE, state(10), [7, 3]), key)
        expect(o).toStrictEqual({
            status: "signed",
            value: state(10),
            n: [7, 3],
        })
    })
    test("changed text, another topic, another board's key: forged", () => {
        const m = signed(STATE, state(10), [7, 3])
        expect(
            openSigned(STATE, m.replace('"ts":10', '"ts":11'), key).status
        ).toBe("forged")
        expect(openSigned("dialguard/hq/desk-b/state", m, key).status).toBe(
            "forged"
        )
        expect(
            openSigned(STATE, signed(STATE, state(10), [7, 3], "desk-b"), key)
                .status
        ).toBe("forged")
    })
    test("no signature: unsigned; a sig elsewhere or a bad n: forged", () => {
        expect(openSigned(STATE, JSON.stringify(state(1)), key)).toStrictEqual({
            status: "unsigned",
            value: state(1),
        })
        expect(
            openSigned(STATE, JSON.stringify({ sig: "00", ...state(1) }), key)
                .status
        ).toBe("forged")
        // signed, but "n" is not [boot, count]
        const text = JSON.stringify(state(1))
        const nf = ',"n":[7]'
        const m = text.slice(0, -1) + nf
        expect(
            openSigned(
                STATE,
                m + `,"sig":"${sign(key, STATE + text + nf)}"}`,
                key
            )
        ).toMatchObject({
            status: "forged",
            error: '"n" must be [boot, count]',
        })
    })
})

describe("verifyRetained and the counters seen", () => {
    test("an older message on a topic is refused as a replay in a later run; the same again is fine", () => {
        const file = join(TMP, "seen1.json")
        const first = new SeenCounters(file)
        let c = check([[NOV, signed(NOV, counters(2), [7, 9])]], first)
        expect(c.refused).toStrictEqual([])
        first.save()
        expect(JSON.parse(readFileSync(file, "utf8"))).toStrictEqual({
            [NOV]: { n: [7, 9] },
        })
        // the same message again in a later run: fine
        c = check(
            [[NOV, signed(NOV, counters(2), [7, 9])]],
            new SeenCounters(file)
        )
        expect(c.refused).toStrictEqual([])
        c = check(
            [[NOV, signed(NOV, counters(1), [7, 4])]],
            new SeenCounters(file)
        )
        expect(c.refused).toMatchObject([
            {
                board: "desk-a",
                topic: NOV,
                reason: expect.stringMatching(
                    /^replayed: its counter \[7,4\] is older than \[7,9\]/
                ),
            },
        ])
        expect(c.use.has(NOV)).toBe(false)
        // a later boot is newer whatever its count
        c = check(
            [[NOV, signed(NOV, counters(3), [8, 1])]],
            new SeenCounters(file)
        )
        expect(c.refused).toStrictEqual([])
        expect(JSON.parse(c.use.get(NOV)!.toString())).toStrictEqual(
            counters(3)
        )
    })

    test("a fresh flash (lower boot): taken when its state is newer (ts), then its counters; an old state is not", () => {
        const seen = new SeenCounters()
        check(
            [
                [STATE, signed(STATE, state(1000), [900, 5])],
                [NOV, signed(NOV, counters(4), [900, 6])],
            ],
            seen
        )
        // replayed old state of an earlier boot: older ts
        let c = check([[STATE, signed(STATE, state(500), [899, 5])]], seen)
        expect(c.refused).toHaveLength(1)
        // the board flashed anew: boot 12, later ts; its counters of boot 12
        c = check(
            [
                [STATE, signed(STATE, state(2000), [12, 1])],
                [NOV, signed(NOV, counters(1), [12, 2])],
            ],
            seen
        )
        expect(c.refused).toStrictEqual([])
        expect(c.notes[0]).toMatch(
            /board desk-a: its message counter started again at boot 12/
        )
        // and the old boot's messages are replays from now on
        c = check(
            [
                [STATE, signed(STATE, state(1000), [900, 5])],
                [NOV, signed(NOV, counters(4), [900, 6])],
            ],
            seen
        )
        expect(c.refused.map(r => r.topic)).toStrictEqual([STATE, NOV])
        // a state without the time cannot show a restart
        const s2 = new SeenCounters()
        check([[STATE, signed(STATE, state(1000), [900, 5])]], s2)
        expect(
            check([[STATE, signed(STATE, state(0), [12, 1])]], s2).refused
        ).toHaveLength(1)
    })

    test("without a key: nothing refused, the boards named as not verified, n and sig kept out", () => {
        const retained = new Map([
            [NOV, Buffer.from(signed(NOV, counters(2), [7, 9]))],
        ])
        const c = verifyRetained(
            retained,
            new BoardVerifier(undefined),
            new SeenCounters()
        )
        expect(c.refused).toStrictEqual([])
        expect([...c.unverified]).toStrictEqual(["desk-a"])
    })
})

describe("collect", () => {
    const rec = (id: string) => ({
        board: "desk-a",
        id,
        handset: "8001",
        number: "01012345678",
        category: "domestic",
        start: 1795741200,
        seconds: 60,
    })
    test("verified records stored without n/sig; forged, unsigned, replayed refused; a resend is a duplicate", () => {
        const reg = new CallStore(":memory:")
        const checks = new RecordChecks(new BoardVerifier(SITE_KEY))
        const h = (m: string) =>
            handleCallMessage(reg, CALLS, Buffer.from(m), checks)
        expect(h(signed(CALLS, rec("desk-a-7-1"), [7, 3])).result).toBe("new")
        expect(reg.month("2026-11")[0]).toStrictEqual(rec("desk-a-7-1"))
        // resent (signed again with a new counter), or the same bytes again
        expect(h(signed(CALLS, rec("desk-a-7-1"), [7, 4])).result).toBe(
            "duplicate"
        )
        expect(h(signed(CALLS, rec("desk-a-7-1"), [7, 3])).result).toBe(
            "duplicate"
        )
        expect(h(signed(CALLS, rec("desk-a-7-2"), [7, 9])).result).toBe("new")
        // a new id with a counter not above the last one taken
        expect(h(signed(CALLS, rec("desk-a-7-3"), [7, 9]))).toMatchObject({
            result: "refused",
            board: "desk-a",
            id: "desk-a-7-3",
            error: expect.stringMatching(/^replayed/),
        })
        expect(h(signed(CALLS, rec("desk-a-7-3"), [7, 8])).result).toBe(
            "refused"
        )
        // forged: text changed, signed for another topic, by another board
        expect(
            h(
                signed(CALLS, rec("desk-a-7-4"), [7, 10]).replace(
                    '"seconds":60',
                    '"seconds":6'
                )
            )
        ).toMatchObject({
            result: "refused",
            id: "desk-a-7-4",
            error: "forged (signature does not verify)",
        })
        expect(
            h(signed("dialguard/hq/desk-b/calls", rec("desk-a-7-4"), [7, 10]))
                .result
        ).toBe("refused")
        expect(
            h(signed(CALLS, rec("desk-a-7-4"), [7, 10], "desk-b")).result
        ).toBe("refused")
        expect(h(JSON.stringify(rec("desk-a-7-4")))).toMatchObject({
            result: "refused",
            error: expect.stringMatching(/^unsigned/),
        })
        expect(h(signed(CALLS, rec("desk-a-7-4"), [8, 1])).result).toBe("new")
        expect(reg.size).toBe(3)
        // without a key: taken as they come, n and sig left out
        const plain = new RecordChecks()
        const reg2 = new CallStore(":memory:")
        expect(
            handleCallMessage(
                reg2,
                CALLS,
                Buffer.from(signed(CALLS, rec("desk-a-7-5"), [7, 3])),
                plain
            ).result
        ).toBe("new")
        expect(
            handleCallMessage(
                reg2,
                CALLS,
                Buffer.from(JSON.stringify(rec("desk-a-7-5"))),
                plain
            ).result
        ).toBe("duplicate")
        reg.close()
        reg2.close()
    })

    test("the counter of the last record taken survives a restart of the collector; a v1 database gets the table", () => {
        const file = join(TMP, "restart.sqlite")
        // a database of the version before: no board_counters
        const v1 = new Database(file)
        v1.exec(`CREATE TABLE calls (id TEXT PRIMARY KEY, board TEXT NOT NULL, handset TEXT NOT NULL,
            direction TEXT NOT NULL, number TEXT NOT NULL, dialled TEXT NOT NULL, category TEXT NOT NULL,
            month TEXT NOT NULL, start INTEGER NOT NULL, answered INTEGER NOT NULL, ended INTEGER NOT NULL,
            seconds INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL, for_ext TEXT NOT NULL,
            rings INTEGER NOT NULL, hops INTEGER NOT NULL, record TEXT NOT NULL, received INTEGER NOT NULL) STRICT`)
        v1.pragma("user_version = 1")
        v1.close()
        const m = (id: string, n: [number, number], start = 1795741200) =>
            Buffer.from(signed(CALLS, { ...rec(id), start }, n))
        let reg = new CallStore(file)
        expect(reg.db.pragma("user_version", { simple: true })).toBe(2)
        let checks = new RecordChecks(new BoardVerifier(SITE_KEY))
        expect(
            handleCallMessage(reg, CALLS, m("desk-a-7-1", [7, 5]), checks)
                .result
        ).toBe("new")
        reg.close()
        // the collector starts again
        reg = new CallStore(file)
        checks = new RecordChecks(new BoardVerifier(SITE_KEY))
        expect(reg.counterOf("desk-a")).toMatchObject({ n: [7, 5] })
        for (const n of [
            [7, 5],
            [7, 4],
            [6, 99],
        ] as [number, number][])
            expect(
                handleCallMessage(reg, CALLS, m("desk-a-6-1", n), checks)
            ).toMatchObject({
                result: "refused",
                error: expect.stringMatching(
                    /^replayed: its counter .* is not above \[7,5\]/
                ),
            })
        // a resend of the stored record: a duplicate
        expect(
            handleCallMessage(reg, CALLS, m("desk-a-7-1", [7, 2]), checks)
                .result
        ).toBe("duplicate")
        expect(
            handleCallMessage(reg, CALLS, m("desk-a-8-1", [8, 1]), checks)
                .result
        ).toBe("new")
        reg.close()
    })

    test("a fresh flash (a lower boot) is taken when its record is later than every record taken; its life before is then replays", () => {
        const reg = new CallStore(":memory:")
        const checks = new RecordChecks(new BoardVerifier(SITE_KEY))
        const h = (id: string, n: [number, number], start: number) =>
            handleCallMessage(
                reg,
                CALLS,
                Buffer.from(signed(CALLS, { ...rec(id), start }, n)),
                checks
            )
        const t = 1795741200
        expect(h("desk-a-900-1", [900, 3], t).result).toBe("new")
        expect(h("desk-a-901-1", [901, 1], t + 100).result).toBe("new")
        // a lower boot, no later than the last record: a replay
        expect(h("desk-a-40-1", [40, 2], t + 50).result).toBe("refused")
        expect(h("desk-a-40-1", [40, 2], 0).result).toBe("refused")
        // later: the board's count started again
        expect(h("desk-a-40-2", [40, 3], t + 200).result).toBe("new")
        expect(checks.notes[0]).toMatch(
            /^board desk-a: its message counter started again at boot 40/
        )
        expect(reg.counterOf("desk-a")).toMatchObject({
            n: [40, 3],
            retired: [[900, 901]],
        })
        expect(h("desk-a-41-1", [41, 1], t + 300).result).toBe("new")
        // a message of its life before, even a later one
        expect(h("desk-a-901-2", [901, 9], t + 400)).toMatchObject({
            result: "refused",
            error: expect.stringMatching(
                /from before board desk-a's count started again/
            ),
        })
        reg.close()
    })
})
