// The tariff edge table of issue 11: prices in 分 from the policy's
// tariffs, and the policy's tariffs, owners and heads as validated.

import { describe, expect, test } from "vitest"
import { Tariff } from "../devs/policy/types"
import { validatePolicy } from "../devs/policy/validate"
import {
    billedMinutes,
    price,
    shares,
    unitFor,
    yuan,
} from "../src/fleet/pricing"
import { rawPolicy } from "./helpers"

const TARIFFS: Record<string, Tariff> = {
    local: { firstSeconds: 180, first: 22, unitSeconds: 60, unit: 11 },
    mobile: { unitSeconds: 60, unit: 10 },
    domestic: { unitSeconds: 6, unit: 3 },
    international: {
        unitSeconds: 6,
        unit: 46,
        prefixes: { "001": 24, "00852": 12, "0085": 30 },
    },
    tollfree: { unitSeconds: 60, unit: 0 },
}

// [category, number, seconds, answered, 分]
const EDGES: [string, string, number, boolean, number][] = [
    // local: 0.22 元 the first 3 minutes, 0.11 each further started minute
    ["local", "84001234", 0, false, 0],
    ["local", "84001234", 0, true, 22],
    ["local", "84001234", 1, true, 22],
    ["local", "84001234", 179, true, 22],
    ["local", "84001234", 180, true, 22],
    ["local", "84001234", 181, true, 33],
    ["local", "84001234", 240, true, 33],
    ["local", "84001234", 241, true, 44],
    ["local", "84001234", 3600, true, 22 + 57 * 11],
    ["local", "84001234", 120, false, 0],
    // mobile: per started minute
    ["mobile", "13912345678", 0, true, 0],
    ["mobile", "13912345678", 1, true, 10],
    ["mobile", "13912345678", 60, true, 10],
    ["mobile", "13912345678", 61, true, 20],
    ["mobile", "13912345678", 86400, true, 14400],
    // domestic: 6-second steps
    ["domestic", "01012345678", 1, true, 3],
    ["domestic", "01012345678", 6, true, 3],
    ["domestic", "01012345678", 7, true, 6],
    ["domestic", "01012345678", 125, true, 63],
    ["domestic", "01012345678", 125, false, 0],
    // international: the longest prefix wins, else unit
    ["international", "0014155550123", 6, true, 24],
    ["international", "0014155550123", 7, true, 48],
    ["international", "0085212345678", 6, true, 12],
    ["international", "0085312345678", 6, true, 30],
    ["international", "00441234567890", 6, true, 46],
    ["international", "00441234567890", 60, true, 460],
    ["international", "00441234567890", 0, false, 0],
    ["tollfree", "4001234567", 600, true, 0],
]

describe("tariff edge table", () => {
    test.each(EDGES)(
        "%s %s %i s answered %s: %i 分",
        (cat, num, s, ans, fen) => {
            expect(price(TARIFFS[cat], num, s, ans)).toBe(fen)
        }
    )

    test("answered defaults to seconds > 0", () => {
        expect(price(TARIFFS.mobile, "139", 0)).toBe(0)
        expect(price(TARIFFS.mobile, "139", 1)).toBe(10)
    })

    test("the prefix match is on the number as dialled", () => {
        expect(unitFor(TARIFFS.international, "00852")).toBe(12)
        expect(unitFor(TARIFFS.international, "0085")).toBe(30)
        expect(unitFor(TARIFFS.international, "008")).toBe(46)
    })

    test("billed minutes are started minutes of answered calls", () => {
        expect([0, 1, 59, 60, 61, 125].map(s => billedMinutes(s))).toEqual([
            0, 1, 1, 1, 2, 3,
        ])
        expect(billedMinutes(30, false)).toBe(0)
    })

    test("元 with two decimals from 分", () => {
        expect([0, 5, 22, 100, 123456, -7].map(yuan)).toEqual([
            "0.00",
            "0.05",
            "0.22",
            "1.00",
            "1234.56",
            "-0.07",
        ])
    })

    test("shares add up to the whole, in whole 分", () => {
        expect(shares(10000, 3)).toEqual([3334, 3333, 3333])
        expect(shares(1, 2)).toEqual([1, 0])
        for (const n of [1, 2, 3, 7])
            expect(shares(12345, n).reduce((a, b) => a + b)).toBe(12345)
    })
})

describe("tariffs, owners and heads in the policy", () => {
    const base = () => {
        const p = rawPolicy()
        p.tariffs = TARIFFS
        p.premiumFine = 5000
        p.departments[0].head = "王经理"
        p.handsets[0].owner = "张三"
        p.handsets[1].owner = ["李四", "王五"]
        return p
    }

    test("are kept as given, an owner always as a list", () => {
        const v = validatePolicy(base())
        expect(v.errors).toEqual([])
        expect(v.policy!.tariffs).toEqual(TARIFFS)
        expect(v.policy!.premiumFine).toBe(5000)
        expect(v.policy!.departments[0].head).toBe("王经理")
        expect(v.policy!.handsets[0].owner).toEqual(["张三"])
        expect(v.policy!.handsets[1].owner).toEqual(["李四", "王五"])
        expect(v.policy!.handsets[2].owner).toBeUndefined()
    })

    const bad: [string, (p: any) => void, string][] = [
        [
            "a float price",
            p => (p.tariffs.local.unit = 1.5),
            "tariffs.local.unit",
        ],
        [
            "a negative price",
            p => (p.tariffs.mobile.unit = -1),
            "tariffs.mobile.unit",
        ],
        [
            "no unitSeconds",
            p => delete p.tariffs.mobile.unitSeconds,
            "tariffs.mobile.unitSeconds",
        ],
        [
            "unitSeconds 0",
            p => (p.tariffs.mobile.unitSeconds = 0),
            "tariffs.mobile.unitSeconds",
        ],
        [
            "first without firstSeconds",
            p => delete p.tariffs.local.firstSeconds,
            "tariffs.local.firstSeconds",
        ],
        [
            "an unknown category",
            p => (p.tariffs.premium = { unitSeconds: 60, unit: 1 }),
            "tariffs.premium",
        ],
        [
            "prefixes on mobile",
            p => (p.tariffs.mobile.prefixes = { "00": 1 }),
            "tariffs.mobile.prefixes",
        ],
        [
            "a prefix not 00",
            p => (p.tariffs.international.prefixes = { "852": 1 }),
            "tariffs.international.prefixes.852",
        ],
        [
            "a prefix price as text",
            p => (p.tariffs.international.prefixes = { "001": "24" }),
            "tariffs.international.prefixes.001",
        ],
        ["premiumFine as a float", p => (p.premiumFine = 99.5), "premiumFine"],
        [
            "an empty owner",
            p => (p.handsets[0].owner = " "),
            "handsets[0].owner",
        ],
        [
            "an empty owner list",
            p => (p.handsets[0].owner = []),
            "handsets[0].owner",
        ],
        [
            "a duplicate owner",
            p => (p.handsets[0].owner = ["a", "a"]),
            "handsets[0].owner[1]",
        ],
        [
            "an empty head",
            p => (p.departments[0].head = ""),
            "departments[0].head",
        ],
    ]
    test.each(bad)("refused: %s", (_, fn, path) => {
        const p = base()
        fn(p)
        const errors = validatePolicy(p).errors
        expect(errors.map(e => e.slice(0, e.indexOf(": ")))).toContain(path)
    })
})
