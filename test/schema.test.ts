// src/policy.schema.json (JSON Schema 2020-12, for editors and other tools)
// must accept and reject exactly what the validator does, except for the
// cross-field rules a schema cannot express, listed in VALIDATOR_ONLY.

import { readFileSync } from "node:fs"
import { describe, expect, test } from "vitest"
import Ajv2020 from "ajv/dist/2020"
import {
    AREA_CODES_7,
    AREA_CODES_7_OR_8,
    AREA_CODES_8,
} from "../devs/numbering/areaCodes"
import { validatePolicy } from "../devs/policy/validate"
import { checkOfficeRules } from "../devs/policy/officeRules"
import { rawPolicy, Rng, words } from "./helpers"

const schema = JSON.parse(
    readFileSync(new URL("../src/policy.schema.json", import.meta.url), "utf8")
)
const ajv = new Ajv2020({ allErrors: true, strict: true })
const check = ajv.compile(schema)

/** Dotted paths (as the validator writes them) of everything the schema objects to. */
function schemaPaths(raw: any): string[] {
    if (check(raw)) return []
    return check.errors!.map(e => {
        let p = e.instancePath
            .split("/")
            .slice(1)
            .map(s => (/^\d+$/.test(s) ? "[" + s + "]" : "." + s))
            .join("")
        const extra =
            (e.params as any).additionalProperty ||
            (e.params as any).missingProperty
        if (extra) p += "." + extra
        return p.replace(/^\./, "") || "(policy)"
    })
}

/** The path part of each validator error ("site.areaCode: ..." -> "site.areaCode"). */
function validatorPaths(raw: any): string[] {
    return validatePolicy(raw, checkOfficeRules).errors.map(e =>
        e.slice(0, e.indexOf(": "))
    )
}

const clone = (x: any) => JSON.parse(JSON.stringify(x))
function edit(fn: (p: any) => void, base: any = rawPolicy()): any {
    const p = clone(base)
    fn(p)
    return p
}

const HMAC = "ab".repeat(32)
const GOOD: [string, any][] = [
    [
        "every office rule set (issue 12)",
        edit(p => {
            Object.assign(p.site, {
                hours: {
                    days: [1, 2, 3, 4, 5, 6],
                    from: "08:00",
                    to: "18:00",
                    breaks: [{ from: "12:00", to: "13:30" }],
                    outside: "refuse",
                },
                callWarningSeconds: { domestic: 300, internal: 180 },
                callLimitSeconds: { international: 900 },
                privatePrefix: "*9",
            })
            p.authCodes = [{ owner: "王经理", allow: "domestic", hmac: HMAC }]
        }),
    ],
    [
        "hours until midnight",
        edit(p => (p.site.hours = { from: "00:00", to: "24:00" })),
    ],
    ["the minimal policy", rawPolicy()],
    ["no handsets yet", rawPolicy({}, [])],
    ["Beijing", rawPolicy({ areaCode: "010" })],
    [
        "a 7-digit area with an outside-line prefix",
        rawPolicy({ areaCode: "0931", outsideLinePrefix: "9" }),
    ],
    [
        "every site option set",
        rawPolicy({
            name: "",
            areaCode: "0851",
            ipPrefix: "",
            emergency: ["110", "119", "120", "122", "7777"],
            premiumPrefixes: ["168xxxxx", "9009", "12590"],
            outsideLinePrefix: "0",
            ringsBeforeForward: 20,
            blocked: ["00", "0755", "1101"],
            allowed: ["00852", "0571"],
            timers: { firstDigitMs: 60000, interDigitMs: 1000, shortMs: 500 },
        }),
    ],
    ["partial timers", rawPolicy({ timers: { shortMs: 2500 } })],
    ["a whole-number float", edit(p => (p.version = 3.0))],
    [
        "a department with a name and negative floor",
        edit(p => Object.assign(p.departments[0], { name: "B2", floor: -2 })),
    ],
    [
        "6-digit extensions",
        rawPolicy({}, [
            { extension: "299999", allow: "international", name: "Lab" },
        ]),
    ],
]

const TARIFFS = {
    local: { firstSeconds: 180, first: 22, unitSeconds: 60, unit: 11 },
    mobile: { unitSeconds: 60, unit: 10 },
    international: { unitSeconds: 6, unit: 46, prefixes: { "001": 24 } },
}
GOOD.push(
    [
        "tariffs, a fine, owners and a head",
        edit(p => {
            p.tariffs = TARIFFS
            p.premiumFine = 0
            p.departments[0].head = "王经理"
            p.handsets[0].owner = "张三"
            p.handsets[1].owner = ["李四", "王五"]
        }),
    ],
    ["no tariffs priced yet", edit(p => (p.tariffs = {}))]
)

// [what, policy, the path the validator reports]
const BAD: [string, any, string][] = [
    [
        "hours without to",
        edit(p => (p.site.hours = { from: "08:00" })),
        "site.hours",
    ],
    [
        "hours 8:00",
        edit(p => (p.site.hours = { from: "8:00", to: "18:00" })),
        "site.hours",
    ],
    [
        "hours 25:00",
        edit(p => (p.site.hours = { from: "08:00", to: "25:00" })),
        "site.hours",
    ],
    [
        "weekday 8",
        edit(p => (p.site.hours = { from: "08:00", to: "18:00", days: [8] })),
        "site.hours",
    ],
    [
        "outside allow",
        edit(
            p =>
                (p.site.hours = {
                    from: "08:00",
                    to: "18:00",
                    outside: "allow",
                })
        ),
        "site.hours",
    ],
    [
        "unknown hours key",
        edit(p => (p.site.hours = { from: "08:00", to: "18:00", lunch: 1 })),
        "site.hours",
    ],
    [
        "warning for an unknown category",
        edit(p => (p.site.callWarningSeconds = { ld: 300 })),
        "site.callWarningSeconds",
    ],
    [
        "limit of 5 s",
        edit(p => (p.site.callLimitSeconds = { local: 5 })),
        "site.callLimitSeconds",
    ],
    [
        "private prefix with #",
        edit(p => (p.site.privatePrefix = "*9#")),
        "site.privatePrefix",
    ],
    [
        "a code in clear",
        edit(
            p =>
                (p.authCodes = [
                    { owner: "A", allow: "local", hmac: HMAC, code: "1234" },
                ])
        ),
        "authCodes[0]",
    ],
    [
        "a code of class internal",
        edit(
            p => (p.authCodes = [{ owner: "A", allow: "internal", hmac: HMAC }])
        ),
        "authCodes[0]",
    ],
    [
        "a short hmac",
        edit(
            p => (p.authCodes = [{ owner: "A", allow: "local", hmac: "abc" }])
        ),
        "authCodes[0]",
    ],
    ["authCodes not a list", edit(p => (p.authCodes = {})), "authCodes"],
    [
        "a price in 元",
        edit(p => (p.tariffs = { mobile: { unitSeconds: 60, unit: 0.1 } })),
        "tariffs.mobile.unit",
    ],
    [
        "a tariff for premium numbers",
        edit(p => (p.tariffs = { premium: { unitSeconds: 60, unit: 1 } })),
        "tariffs.premium",
    ],
    [
        "first without firstSeconds",
        edit(
            p =>
                (p.tariffs = {
                    local: { first: 22, unitSeconds: 60, unit: 11 },
                })
        ),
        "tariffs.local.firstSeconds",
    ],
    [
        "prefixes on a domestic tariff",
        edit(
            p =>
                (p.tariffs = {
                    domestic: {
                        unitSeconds: 6,
                        unit: 3,
                        prefixes: { "00": 1 },
                    },
                })
        ),
        "tariffs.domestic.prefixes",
    ],
    ["a negative fine", edit(p => (p.premiumFine = -1)), "premiumFine"],
    [
        "an owner as a number",
        edit(p => (p.handsets[0].owner = 7)),
        "handsets[0].owner",
    ],
    [
        "an empty owner list",
        edit(p => (p.handsets[0].owner = [])),
        "handsets[0].owner",
    ],
    [
        "a blank head",
        edit(p => (p.departments[0].head = " ")),
        "departments[0].head",
    ],
    ["not an object", [], "(policy)"],
    ["no version", edit(p => delete p.version), "version"],
    ["version 0", edit(p => (p.version = 0)), "version"],
    ["version as a string", edit(p => (p.version = "1")), "version"],
    ["fractional version", edit(p => (p.version = 1.5)), "version"],
    ["unknown top-level key", edit(p => (p.comment = "x")), "comment"],
    ["no site", edit(p => delete p.site), "site"],
    ["site is a list", edit(p => (p.site = [])), "site"],
    ["no site name", edit(p => delete p.site.name), "site.name"],
    ["site name not a string", edit(p => (p.site.name = 5)), "site.name"],
    ["unknown site key", edit(p => (p.site.areacode = "025")), "site.areacode"],
    ["no area code", edit(p => delete p.site.areaCode), "site.areaCode"],
    ["area code 026", rawPolicy({ areaCode: "026" }), "site.areaCode"],
    ["area code without 0", rawPolicy({ areaCode: "25" }), "site.areaCode"],
    ["area code as a number", rawPolicy({ areaCode: 25 }), "site.areaCode"],
    [
        "IP prefix with a letter",
        rawPolicy({ ipPrefix: "179O9" }),
        "site.ipPrefix",
    ],
    [
        "IP prefix of 9 digits",
        rawPolicy({ ipPrefix: "179091234" }),
        "site.ipPrefix",
    ],
    [
        "emergency list without 122",
        rawPolicy({ emergency: ["110", "119", "120"] }),
        "site.emergency",
    ],
    ["emergency not a list", rawPolicy({ emergency: "110" }), "site.emergency"],
    [
        "emergency entry not digits",
        rawPolicy({ emergency: ["110", "119", "120", "122", "12-395"] }),
        "site.emergency[4]",
    ],
    [
        "duplicate emergency entry",
        rawPolicy({ emergency: ["110", "119", "120", "122", "110"] }),
        "site.emergency[4]",
    ],
    [
        "premium with 2 leading digits",
        rawPolicy({ premiumPrefixes: ["16xxxxxx"] }),
        "site.premiumPrefixes[0]",
    ],
    [
        "premium with x inside",
        rawPolicy({ premiumPrefixes: ["16x8xxxx"] }),
        "site.premiumPrefixes[0]",
    ],
    [
        "premium longer than 20",
        rawPolicy({ premiumPrefixes: ["168" + "x".repeat(18)] }),
        "site.premiumPrefixes[0]",
    ],
    [
        "premium over 120",
        rawPolicy({ premiumPrefixes: ["120xx"] }),
        "site.premiumPrefixes[0]",
    ],
    [
        "duplicate premium entry",
        rawPolicy({ premiumPrefixes: ["12590", "12590"] }),
        "site.premiumPrefixes[1]",
    ],
    [
        "outside-line prefix of 3 digits",
        rawPolicy({ outsideLinePrefix: "900" }),
        "site.outsideLinePrefix",
    ],
    [
        "outside-line prefix 1",
        rawPolicy({ outsideLinePrefix: "1" }),
        "site.outsideLinePrefix",
    ],
    [
        "outside-line prefix 12",
        rawPolicy({ outsideLinePrefix: "12" }),
        "site.outsideLinePrefix",
    ],
    [
        "rings 0",
        rawPolicy({ ringsBeforeForward: 0 }),
        "site.ringsBeforeForward",
    ],
    [
        "rings 2.5",
        rawPolicy({ ringsBeforeForward: 2.5 }),
        "site.ringsBeforeForward",
    ],
    [
        "blocked 11 (110, 119)",
        rawPolicy({ blocked: ["11"] }),
        "site.blocked[0]",
    ],
    ["blocked 120", rawPolicy({ blocked: ["0755", "120"] }), "site.blocked[1]"],
    [
        "blocked with a space",
        rawPolicy({ blocked: ["0755 1"] }),
        "site.blocked[0]",
    ],
    ["blocked empty string", rawPolicy({ blocked: [""] }), "site.blocked[0]"],
    ["blocked IP prefix", rawPolicy({ blocked: ["17951"] }), "site.blocked[0]"],
    [
        "allowed after IP prefix",
        rawPolicy({ allowed: ["1790901"] }),
        "site.allowed[0]",
    ],
    ["allowed as a string", rawPolicy({ allowed: "0755" }), "site.allowed"],
    [
        "duplicate allowed entry",
        rawPolicy({ allowed: ["0755", "0755"] }),
        "site.allowed[1]",
    ],
    ["timers not an object", rawPolicy({ timers: 3000 }), "site.timers"],
    [
        "unknown timer",
        rawPolicy({ timers: { longMs: 3000 } }),
        "site.timers.longMs",
    ],
    [
        "short timer too short",
        rawPolicy({ timers: { shortMs: 499 } }),
        "site.timers.shortMs",
    ],
    [
        "first-digit timer too long",
        rawPolicy({ timers: { firstDigitMs: 60001 } }),
        "site.timers.firstDigitMs",
    ],
    [
        "inter-digit timer as a string",
        rawPolicy({ timers: { interDigitMs: "10000" } }),
        "site.timers.interDigitMs",
    ],
    ["no departments", edit(p => delete p.departments), "departments"],
    [
        "department not an object",
        edit(p => p.departments.push("sales")),
        "departments[1]",
    ],
    [
        "department without id",
        edit(p => delete p.departments[0].id),
        "departments[0].id",
    ],
    [
        "department with empty id",
        edit(p => (p.departments[0].id = "")),
        "departments[0].id",
    ],
    [
        "department floor 201",
        edit(p => (p.departments[0].floor = 201)),
        "departments[0].floor",
    ],
    [
        "department without y",
        edit(p => delete p.departments[0].y),
        "departments[0].y",
    ],
    [
        "department x as a string",
        edit(p => (p.departments[0].x = "1")),
        "departments[0].x",
    ],
    [
        "unknown department key",
        edit(p => (p.departments[0].manager = "Li")),
        "departments[0].manager",
    ],
    ["no handsets", edit(p => delete p.handsets), "handsets"],
    [
        "handset not an object",
        edit(p => (p.handsets[0] = "8000")),
        "handsets[0]",
    ],
    [
        "handset without extension",
        edit(p => delete p.handsets[0].extension),
        "handsets[0].extension",
    ],
    [
        "extension as a number",
        edit(p => (p.handsets[0].extension = 8000)),
        "handsets[0].extension",
    ],
    [
        "1-digit extension",
        edit(p => (p.handsets[0].extension = "8")),
        "handsets[0].extension",
    ],
    [
        "7-digit extension",
        edit(p => (p.handsets[0].extension = "8000000")),
        "handsets[0].extension",
    ],
    [
        "extension starting with 0",
        edit(p => (p.handsets[0].extension = "0800")),
        "handsets[0].extension",
    ],
    [
        "extension starting with 1",
        edit(p => (p.handsets[0].extension = "1800")),
        "handsets[0].extension",
    ],
    [
        "handset without department",
        edit(p => delete p.handsets[0].department),
        "handsets[0].department",
    ],
    [
        "unknown class",
        edit(p => (p.handsets[0].allow = "national")),
        "handsets[0].allow",
    ],
    [
        "receiveOnly as a string",
        edit(p => (p.handsets[0].receiveOnly = "true")),
        "handsets[0].receiveOnly",
    ],
    [
        "suspended as a number",
        edit(p => (p.handsets[0].suspended = 1)),
        "handsets[0].suspended",
    ],
    [
        "handset name as a number",
        edit(p => (p.handsets[0].name = 7)),
        "handsets[0].name",
    ],
    [
        "unknown handset key",
        edit(p => (p.handsets[0].pin = "1234")),
        "handsets[0].pin",
    ],
]

/** Rules that relate two values: the schema accepts these, the validator does not. */
const VALIDATOR_ONLY: [string, any, string][] = [
    [
        "hours ending before they start",
        edit(p => (p.site.hours = { from: "18:00", to: "08:00" })),
        "site.hours",
    ],
    [
        "a break ending before it starts",
        edit(
            p =>
                (p.site.hours = {
                    from: "08:00",
                    to: "18:00",
                    breaks: [{ from: "13:00", to: "12:00" }],
                })
        ),
        "site.hours",
    ],
    [
        "the same code twice",
        edit(
            p =>
                (p.authCodes = [
                    { owner: "A", allow: "local", hmac: HMAC },
                    { owner: "B", allow: "domestic", hmac: HMAC },
                ])
        ),
        "authCodes[1]",
    ],
    [
        "duplicate department id",
        edit(p => p.departments.push(clone(p.departments[0]))),
        "departments[1].id",
    ],
    [
        "duplicate extension",
        edit(p => (p.handsets[1].extension = p.handsets[0].extension)),
        "handsets[1].extension",
    ],
    [
        "unknown department",
        edit(p => (p.handsets[0].department = "sales")),
        "handsets[0].department",
    ],
    [
        "extension starting with the outside-line prefix",
        rawPolicy({ outsideLinePrefix: "8" }, [{ extension: "8000" }]),
        "handsets[0].extension",
    ],
    [
        "extension starting with an emergency number",
        rawPolicy({ areaCode: "010" }, [{ extension: "9990" }]),
        "handsets[0].extension",
    ],
    [
        "emergency number starting another",
        rawPolicy({ emergency: ["110", "119", "120", "122", "1239", "12395"] }),
        "site.emergency[4]",
    ],
    [
        "blocked prefix of a site emergency number",
        rawPolicy({ areaCode: "010", blocked: ["99"] }),
        "site.blocked[0]",
    ],
    [
        "blocked prefix of 12395",
        rawPolicy({ blocked: ["123"] }),
        "site.blocked[0]",
    ],
    [
        "premium over 12395",
        rawPolicy({ premiumPrefixes: ["123xxxxx"] }),
        "site.premiumPrefixes[0]",
    ],
    [
        "outside-line prefix clashing with 999 in Beijing",
        rawPolicy({ areaCode: "010", outsideLinePrefix: "9" }),
        "site.outsideLinePrefix",
    ],
    [
        "blocked entry starting with the site's own IP prefix",
        rawPolicy({ ipPrefix: "17968", blocked: ["179681"] }),
        "site.blocked[0]",
    ],
    [
        "short timer longer than the inter-digit timer",
        rawPolicy({ timers: { interDigitMs: 2000, shortMs: 2500 } }),
        "site.timers.shortMs",
    ],
]

describe("policy.schema.json", () => {
    test("is a valid JSON Schema 2020-12 document (ajv strict mode)", () => {
        expect(schema.$schema).toBe(
            "https://json-schema.org/draft/2020-12/schema"
        )
        expect(ajv.validateSchema(schema)).toBe(true)
    })

    test("lists exactly the area codes the engine knows", () => {
        const codes = [AREA_CODES_8, AREA_CODES_7, AREA_CODES_7_OR_8]
            .flatMap(words)
            .map(c => "0" + c)
        expect(
            schema.$defs.site.properties.areaCode.enum.slice().sort()
        ).toEqual(codes.sort())
    })

    test("documents the validator's defaults", () => {
        const p = validatePolicy(rawPolicy()).policy!
        const site = schema.$defs.site.properties
        for (const k of [
            "ipPrefix",
            "emergency",
            "premiumPrefixes",
            "outsideLinePrefix",
            "ringsBeforeForward",
            "blocked",
            "allowed",
            "timers",
        ]) {
            expect(site[k].default, k).toEqual((p.site as any)[k])
            expect(site[k].description, k).toMatch(/Default|default/)
        }
        for (const k of ["firstDigitMs", "interDigitMs", "shortMs"])
            expect(site.timers.properties[k].default, k).toBe(
                (p.site.timers as any)[k]
            )
        const h = schema.$defs.handset.properties
        const bare = validatePolicy(rawPolicy({}, [{ extension: "8000" }]))
            .policy!.handsets[0]
        for (const k of ["allow", "receiveOnly", "suspended", "name"])
            expect(h[k].default, k).toEqual((bare as any)[k])
        const unnamed = validatePolicy(edit(x => delete x.departments[0].name))
            .policy!.departments[0]
        expect(schema.$defs.department.properties.name.default).toBe(
            unnamed.name
        )
        expect(site.emergency.description).toContain(
            '"999" where areaCode is "010"'
        )
    })

    test.each(GOOD)("both accept: %s", (_, raw) => {
        expect(validatePolicy(raw, checkOfficeRules).errors).toEqual([])
        expect(schemaPaths(raw)).toEqual([])
    })

    test.each(BAD)("both reject: %s", (_, raw, path) => {
        expect(validatorPaths(raw)).toContain(path)
        // A duplicate list entry: the schema (uniqueItems) points at the list.
        const paths = schemaPaths(raw)
        // The office rules' (issue 12) messages name the object (site.hours,
        // authCodes[0]) with its whole form; the schema the field inside.
        expect(
            paths.indexOf(path) >= 0 ||
                paths.indexOf(path.replace(/\[\d+\]$/, "")) >= 0 ||
                paths.some(p => p.startsWith(path + ".")),
            paths.join(", ")
        ).toBe(true)
    })

    test.each(VALIDATOR_ONLY)(
        "only the validator rejects: %s",
        (_, raw, path) => {
            expect(validatorPaths(raw)).toEqual([path])
            expect(schemaPaths(raw)).toEqual([])
        }
    )

    test("agree on thousands of random values for the single-value rules", () => {
        const r = new Rng(42)
        const junk = () => {
            switch (r.int(6)) {
                case 0:
                    return r.int(30000) - 100
                case 1:
                    return r.pick([true, null, [], {}, 1.5])
                default: {
                    let s = ""
                    const n = r.int(10)
                    for (let i = 0; i < n; ++i)
                        s += r.from("0123456789012345678901x a")
                    return s
                }
            }
        }
        // Each field, and when a random value breaks a cross-field rule instead (skipped).
        const clash = (a: string, b: string) =>
            a.indexOf(b) === 0 || b.indexOf(a) === 0
        const digitString = (v: any) => typeof v === "string" && /^\d+$/.test(v)
        const crossField: Record<string, (v: any) => boolean> = {
            // ... with the handset's extension 8000, the national emergency
            // numbers or the built-in premium lines
            "site.emergency": v =>
                digitString(v) &&
                [
                    "8000",
                    "110",
                    "119",
                    "120",
                    "122",
                    "160",
                    "168",
                    "12590",
                ].some(e => clash(v, e)),
            "site.outsideLinePrefix": v =>
                digitString(v) && "8000".indexOf(v) === 0,
            "site.blocked": v =>
                typeof v === "string" &&
                v.length > 2 &&
                "12395".indexOf(v) === 0,
            "site.premiumPrefixes": v =>
                typeof v === "string" &&
                /^(123|1239|12395)/.test(v.replace(/x+$/, "")),
        }
        const fields: [string, (p: any, v: any) => void][] = [
            ["version", (p, v) => (p.version = v)],
            ["site.name", (p, v) => (p.site.name = v)],
            [
                "site.areaCode",
                (p, v) =>
                    (p.site.areaCode =
                        typeof v === "string" ? "0" + v.slice(0, 3) : v),
            ],
            [
                "site.ipPrefix",
                // Half of them shaped like the 179xx access codes.
                (p, v) =>
                    (p.site.ipPrefix =
                        typeof v === "string" && r.int(2) ? "179" + v : v),
            ],
            [
                "site.outsideLinePrefix",
                (p, v) =>
                    (p.site.outsideLinePrefix =
                        typeof v === "string" ? v.slice(0, 3) : v),
            ],
            [
                "site.ringsBeforeForward",
                (p, v) =>
                    (p.site.ringsBeforeForward =
                        typeof v === "number" ? v % 25 : v),
            ],
            ["site.blocked", (p, v) => (p.site.blocked = [v])],
            ["site.allowed", (p, v) => (p.site.allowed = [v])],
            ["site.premiumPrefixes", (p, v) => (p.site.premiumPrefixes = [v])],
            [
                "site.emergency",
                (p, v) => (p.site.emergency = ["110", "119", "120", "122", v]),
            ],
            [
                "site.timers.firstDigitMs",
                (p, v) =>
                    (p.site.timers = {
                        firstDigitMs: typeof v === "number" ? v * 3 : v,
                    }),
            ],
            ["site.timers.shortMs", (p, v) => (p.site.timers = { shortMs: v })],
            [
                "departments[0].floor",
                (p, v) =>
                    (p.departments[0].floor =
                        typeof v === "number" ? v % 250 : v),
            ],
            ["departments[0].x", (p, v) => (p.departments[0].x = v)],
            ["handsets[0].extension", (p, v) => (p.handsets[0].extension = v)],
            [
                "handsets[0].allow",
                (p, v) =>
                    (p.handsets[0].allow =
                        typeof v === "string" && r.int(2)
                            ? r.pick(["local", "national", ""])
                            : v),
            ],
            [
                "handsets[0].receiveOnly",
                (p, v) => (p.handsets[0].receiveOnly = v),
            ],
        ]
        let tried = 0
        let valid = 0
        const disagree: string[] = []
        for (let i = 0; i < 4000; ++i) {
            const [name, set] = fields[i % fields.length]
            const v = junk()
            if (crossField[name] && crossField[name](v)) continue
            const raw = rawPolicy({}, [{ extension: "8000" }])
            set(raw, v)
            const byValidator = validatePolicy(raw).errors.length === 0
            const bySchema = check(raw)
            tried++
            if (byValidator) valid++
            if (byValidator !== bySchema)
                disagree.push(
                    `${name} = ${JSON.stringify(v)}: validator ${byValidator ? "accepts" : "rejects"}, schema ${bySchema ? "accepts" : "rejects"}`
                )
        }
        expect(disagree.slice(0, 20)).toEqual([])
        expect(tried).toBeGreaterThan(3500)
        // Both verdicts are well represented.
        expect(valid).toBeGreaterThan(tried / 10)
        expect(valid).toBeLessThan(tried * 0.9)
    })
})
