import { WallClock } from "../devs/app/clock"
import { describe, expect, test } from "vitest"
import {
    BLOCKED_CODES,
    CALL_CATEGORIES,
    CALLER_OUTCOMES,
    CallCounters,
    INCOMING_OUTCOMES,
    ROW_LENGTH,
    monthIndex,
    previousMonth,
} from "../devs/phone/counters"

describe("months", () => {
    test("index, previous month, malformed months", () => {
        expect(monthIndex("2025-06")).toBe(2025 * 12 + 5)
        expect(monthIndex("unknown")).toBe(-1)
        for (const bad of [
            "2025-6",
            "2025-13",
            "2025-00",
            "25-06-1",
            "2025/06",
            "",
            "0999-01",
        ])
            expect(monthIndex(bad)).toBe(-2)
        expect(previousMonth("2025-01")).toBe("2024-12")
        expect(previousMonth("2025-10")).toBe("2025-09")
        expect(previousMonth("unknown")).toBe("unknown")
    })
})

describe("CallCounters", () => {
    test("calls and talk seconds by category", () => {
        const c = new CallCounters()
        expect(c.recordCall("8001", "2025-06", "domestic", 125.6)).toBe(true)
        expect(c.recordCall("8001", "2025-06", "domestic", 60)).toBe(true)
        expect(c.recordCall("8001", "2025-06", "mobile", 0)).toBe(true)
        expect(c.recordCall("8001", "2025-06", "international", -5)).toBe(true)
        // never a placed call: not counted
        expect(c.recordCall("8001", "2025-06", "premium", 10)).toBe(false)
        expect(c.recordCall("8001", "2025-06", "invalid", 10)).toBe(false)
        const s = c.snapshot("8001", "2025-06")
        expect(s.calls).toEqual({
            internal: 0,
            emergency: 0,
            local: 0,
            mobile: 1,
            domestic: 2,
            international: 1,
            tollfree: 0,
            service: 0,
        })
        expect(s.seconds.domestic).toBe(186)
        expect(s.seconds.international).toBe(0)
        expect(s.totalCalls).toBe(4)
        expect(s.totalSeconds).toBe(186)
        // other handsets and months are separate
        expect(c.snapshot("8002", "2025-06").totalCalls).toBe(0)
        expect(c.snapshot("8001", "2025-05").totalCalls).toBe(0)
    })

    test("blocked attempts by code", () => {
        const c = new CallCounters()
        c.recordBlocked("8001", "2025-06", "premium")
        c.recordBlocked("8001", "2025-06", "premium")
        c.recordBlocked("8001", "2025-06", "siteBlocked")
        expect(c.recordBlocked("8001", "2025-06", "bogus" as any)).toBe(false)
        const s = c.snapshot("8001", "2025-06")
        expect(s.blocked).toEqual({
            premium: 2,
            class: 0,
            receiveOnly: 0,
            suspended: 0,
            invalid: 0,
            siteBlocked: 1,
        })
        expect(s.totalBlocked).toBe(3)
        expect(s.totalCalls).toBe(0)
    })

    test("incoming calls: on time within the configured rings, late, forwarded, missed", () => {
        const c = new CallCounters()
        c.recordAnswered("8004", "2025-06", 1)
        c.recordAnswered("8004", "2025-06", 3)
        c.recordAnswered("8004", "2025-06", 4)
        c.recordIncoming("8004", "2025-06", "forwarded")
        c.recordIncoming("8004", "2025-06", "missed")
        c.recordIncoming("8004", "2025-06", "missed")
        expect(c.snapshot("8004", "2025-06").incoming).toEqual({
            onTime: 2,
            late: 1,
            forwarded: 1,
            missed: 2,
        })
        expect(c.snapshot("8004", "2025-06").totalIncoming).toBe(6)

        const strict = new CallCounters(2)
        strict.recordAnswered("8004", "2025-06", 3)
        expect(strict.snapshot("8004", "2025-06").incoming.late).toBe(1)
        expect(strict.snapshot("8004", "2025-06").incoming.onTime).toBe(0)
    })

    test("the caller's view, beside the handset's: on time, late, missed per call that ended here", () => {
        const c = new CallCounters()
        // 8001 let a call ring 3 times, 8101 answered it on its first ring
        c.recordIncoming("8001", "2025-06", "forwarded")
        c.recordIncoming("8101", "2025-06", "onTime")
        expect(c.recordCaller("8101", "2025-06", "late")).toBe(true)
        c.recordCaller("8101", "2025-06", "onTime")
        c.recordCaller("8101", "2025-06", "missed")
        expect(c.recordCaller("8101", "2025-06", "forwarded" as any)).toBe(
            false
        )
        const s = c.snapshot("8101", "2025-06")
        expect(s.caller).toEqual({ onTime: 1, late: 1, missed: 1 })
        expect(s.totalCaller).toBe(3)
        expect(s.incoming).toEqual({
            onTime: 1,
            late: 0,
            forwarded: 0,
            missed: 0,
        })
        expect(c.snapshot("8001", "2025-06").caller).toEqual({
            onTime: 0,
            late: 0,
            missed: 0,
        })
    })

    test("malformed month or empty extension is refused", () => {
        const c = new CallCounters()
        expect(c.recordCall("8001", "2025-6", "local", 1)).toBe(false)
        expect(c.recordBlocked("", "2025-06", "class")).toBe(false)
        expect(c.extensions()).toEqual([])
    })

    test("only the newest month and the one before are kept, plus unknown", () => {
        const c = new CallCounters()
        c.recordCall("8001", "unknown", "local", 30)
        c.recordCall("8001", "2025-04", "local", 1)
        c.recordCall("8002", "2025-04", "local", 1)
        c.recordCall("8001", "2025-05", "local", 2)
        expect(c.months("8001")).toEqual(["unknown", "2025-04", "2025-05"])
        // June arrives: April goes, for every handset
        c.recordIncoming("8003", "2025-06", "missed")
        expect(c.months("8001")).toEqual(["unknown", "2025-05"])
        expect(c.months("8002")).toEqual([])
        expect(c.extensions()).toEqual(["8001", "8003"])
        // a late record for May still counts; April is refused
        expect(c.recordCall("8001", "2025-05", "local", 3)).toBe(true)
        expect(c.recordCall("8001", "2025-04", "local", 3)).toBe(false)
        expect(c.snapshot("8001", "2025-05").seconds.local).toBe(5)
        // a year boundary
        c.recordCall("8001", "2026-01", "local", 1)
        expect(c.months("8001")).toEqual(["unknown", "2026-01"])
        expect(c.recordCall("8001", "2025-12", "local", 1)).toBe(true)
        expect(c.months("8001")).toEqual(["unknown", "2025-12", "2026-01"])
    })

    test("dropBefore removes published months, unknown included", () => {
        const c = new CallCounters()
        c.recordCall("8001", "unknown", "local", 30)
        c.recordCall("8001", "2025-05", "local", 1)
        c.recordCall("8001", "2025-06", "local", 1)
        c.recordCall("8002", "2025-05", "local", 1)
        c.dropBefore("2025-06")
        expect(c.months("8001")).toEqual(["2025-06"])
        expect(c.extensions()).toEqual(["8001"])
        expect(c.snapshot("8001", "2025-05").totalCalls).toBe(0)
        expect(c.snapshot("8001", "2025-06").totalCalls).toBe(1)
    })

    test("toJSON is compact and fromJSON restores it", () => {
        const c = new CallCounters()
        c.recordCall("8001", "2025-06", "international", 300)
        c.recordBlocked("8001", "2025-06", "premium")
        c.recordIncoming("8001", "2025-06", "late")
        c.recordCaller("8001", "2025-06", "late")
        c.recordCall("8002", "unknown", "internal", 12)
        // explicit toJSON(): the DeviceScript VM's JSON.stringify ignores it
        const json = JSON.stringify(c.toJSON())
        expect(JSON.stringify(c)).toBe(json) // Node calls it
        const data = JSON.parse(json)
        expect(data.v).toBe(1)
        const row = data.rows["8001"]["2025-06"]
        expect(row.length).toBe(ROW_LENGTH)
        expect(ROW_LENGTH).toBe(
            CALL_CATEGORIES.length * 2 +
                BLOCKED_CODES.length +
                INCOMING_OUTCOMES.length +
                CALLER_OUTCOMES.length
        )
        expect(row.slice(-3)).toEqual([0, 1, 0]) // caller.late
        // fixed-order numbers, no per-count keys
        expect(json).not.toContain("international")
        expect(json.length).toBeLessThan(200)

        const back = CallCounters.fromJSON(data)
        expect(back.snapshot("8001", "2025-06")).toEqual(
            c.snapshot("8001", "2025-06")
        )
        expect(back.snapshot("8002", "unknown").seconds.internal).toBe(12)
        expect(JSON.stringify(back.toJSON())).toBe(json)
        // counting goes on after a restore
        back.recordCall("8001", "2025-06", "international", 60)
        expect(back.snapshot("8001", "2025-06").seconds.international).toBe(360)
    })

    test("fromJSON skips malformed parts and applies the month window", () => {
        const back = CallCounters.fromJSON({
            v: 1,
            rows: {
                "8001": {
                    "2025-06": [1, 2, "x", -4, null],
                    "2025-03": [9],
                    bogus: [9],
                    "2025-05": "nope",
                },
                "8002": 7,
            },
        })
        expect(back.months("8001")).toEqual(["2025-06"])
        expect(back.extensions()).toEqual(["8001"])
        const s = back.snapshot("8001", "2025-06")
        expect(s.calls.internal).toBe(1)
        expect(s.calls.emergency).toBe(2)
        expect(s.totalCalls).toBe(3)
        expect(CallCounters.fromJSON(undefined).extensions()).toEqual([])
        expect(CallCounters.fromJSON({ v: 2, rows: {} }).extensions()).toEqual(
            []
        )
        // a row saved before the caller group existed (26 numbers): it reads 0
        const old = CallCounters.fromJSON({
            v: 1,
            rows: { "8001": { "2025-06": Array(26).fill(1) } },
        })
        const o = old.snapshot("8001", "2025-06")
        expect([o.totalIncoming, o.totalCaller]).toEqual([4, 0])
        old.recordCaller("8001", "2025-06", "missed")
        expect(old.snapshot("8001", "2025-06").caller.missed).toBe(1)
        // the on-time threshold is not persisted: the caller passes it again
        expect(CallCounters.fromJSON({ v: 1, rows: {} }, 5).onTimeRings).toBe(5)
    })
})

describe("the board's wall clock (devs/app/clock.ts)", () => {
    test("unknown until the SIP line gives the time, then carried forward; the first fix is announced once", () => {
        const c = new WallClock()
        let fixes = 0
        c.onFirstFix = () => fixes++
        expect([c.known(), c.unix(5000), c.month(5000)]).toEqual([
            false,
            0,
            "unknown",
        ])
        c.set(0, 6000) // the line does not know either
        expect([c.known(), fixes]).toEqual([false, 0])
        c.set(1795708800, 10000) // 2026-11-27 00:00 Beijing = 2026-11-26 16:00 UTC
        expect([c.known(), fixes]).toEqual([true, 1])
        expect(c.unix(12500)).toBe(1795708802)
        expect(c.month(12500)).toBe("2026-11")
        c.set(1795708900, 20000)
        expect(fixes).toBe(1)
    })
})
