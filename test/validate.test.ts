// Policy validation: defaults filled in, and every problem reported as
// "path: reason" with nothing half-applied.

import { describe, expect, test } from "vitest"
import { validateConfig } from "../devs/app/boardConfig"
import { DEFAULT_TIMERS, validatePolicy } from "../devs/policy/validate"
import { rawPolicy } from "./helpers"

/** The errors for a policy that must be rejected (and checks nothing was returned). */
function errors(raw: any): string[] {
    const v = validatePolicy(raw)
    expect(v.policy).toBeUndefined()
    expect(v.errors.length).toBeGreaterThan(0)
    return v.errors
}

function accepted(raw: any) {
    const v = validatePolicy(raw)
    expect(v.errors).toEqual([])
    return v.policy!
}

const siteWith = (site: any) =>
    rawPolicy(site, [{ extension: "8001", allow: "local" }])
const handsetWith = (h: any) => rawPolicy({}, [{ extension: "8001", ...h }])

describe("a valid policy", () => {
    test("gets every default filled in", () => {
        const p = accepted({
            version: 7,
            site: { name: "HQ", areaCode: "025" },
            departments: [{ id: "ops", floor: 2, x: 1.5, y: -3 }],
            handsets: [{ extension: "8001", department: "ops" }],
        })
        expect(p).toEqual({
            version: 7,
            site: {
                name: "HQ",
                areaCode: "025",
                ipPrefix: "17909",
                emergency: ["110", "119", "120", "122", "12395"],
                premiumPrefixes: ["160xxxxx", "168xxxxx", "12590"],
                outsideLinePrefix: "",
                ringsBeforeForward: 3,
                blocked: [],
                allowed: [],
                timers: {
                    firstDigitMs: 16000,
                    interDigitMs: 10000,
                    shortMs: 3000,
                },
            },
            departments: [{ id: "ops", name: "", floor: 2, x: 1.5, y: -3 }],
            handsets: [
                {
                    extension: "8001",
                    department: "ops",
                    allow: "internal",
                    receiveOnly: false,
                    suspended: false,
                    name: "",
                },
            ],
        })
        expect(DEFAULT_TIMERS).toEqual({
            firstDigitMs: 16000,
            interDigitMs: 10000,
            shortMs: 3000,
        })
    })

    test("Beijing gets 999 as an emergency number by default", () => {
        expect(accepted(siteWith({ areaCode: "010" })).site.emergency).toEqual([
            "110",
            "119",
            "120",
            "122",
            "12395",
            "999",
        ])
    })

    test("everything set explicitly is kept", () => {
        const site = {
            name: "Plant",
            areaCode: "0851",
            ipPrefix: "",
            emergency: ["110", "119", "120", "122", "7777"],
            premiumPrefixes: ["168xxxxx", "9009"],
            outsideLinePrefix: "0",
            ringsBeforeForward: 20,
            blocked: ["00", "0755"],
            allowed: ["00852", "0571"],
            timers: { firstDigitMs: 60000, interDigitMs: 1000, shortMs: 500 },
        }
        // The site's premium lines come after the built-in ones.
        expect(accepted(siteWith(site)).site).toEqual({
            ...site,
            premiumPrefixes: ["160xxxxx", "168xxxxx", "12590", "9009"],
        })
    })

    test("an empty handset list is fine (a new site)", () => {
        expect(accepted(rawPolicy({}, [])).handsets).toEqual([])
    })

    test("the input document is not modified", () => {
        const raw = siteWith({})
        const copy = JSON.parse(JSON.stringify(raw))
        validatePolicy(raw)
        expect(raw).toEqual(copy)
    })
})

describe("rejected policies list every problem as path: reason", () => {
    test("not an object", () => {
        for (const raw of [null, [], "policy", 3, undefined])
            expect(errors(raw)).toEqual(["(policy): must be a JSON object"])
    })

    test("unknown department", () => {
        expect(errors(handsetWith({ department: "eng" }))).toEqual([
            'handsets[0].department: unknown department "eng" (known: ops)',
        ])
    })

    test("duplicate extension", () => {
        const raw = rawPolicy({}, [
            { extension: "8001" },
            { extension: "8002" },
            { extension: "8001" },
        ])
        expect(errors(raw)).toEqual([
            'handsets[2].extension: duplicate extension "8001" (also handsets[0])',
        ])
    })

    test("bad area codes", () => {
        expect(errors(siteWith({ areaCode: "026" }))).toEqual([
            'site.areaCode: "026" is not a Chinese area code',
        ])
        expect(errors(siteWith({ areaCode: "0" }))).toEqual([
            'site.areaCode: "0" is not a Chinese area code',
        ])
        expect(errors(siteWith({ areaCode: "25" }))).toEqual([
            'site.areaCode: "25" must be digits starting with the trunk prefix 0, e.g. "025"',
        ])
        expect(errors(siteWith({ areaCode: "0 25" }))).toEqual([
            'site.areaCode: "0 25" must be digits starting with the trunk prefix 0, e.g. "025"',
        ])
        expect(errors(siteWith({ areaCode: 25 }))).toEqual([
            "site.areaCode: must be a string, not 25",
        ])
    })

    test("wrong types", () => {
        const raw = rawPolicy({ ringsBeforeForward: "3" }, [
            { extension: 8001 as any },
            { extension: "8002", receiveOnly: "yes" as any, allow: 2 as any },
        ])
        raw.version = "1"
        raw.departments[0].floor = 2.5
        raw.departments[0].x = "left"
        expect(errors(raw)).toEqual([
            'version: must be a whole number from 1 to 2147483647, not "1"',
            'site.ringsBeforeForward: must be a whole number from 1 to 20, not "3"',
            "departments[0].floor: must be a whole number from -10 to 200, not 2.5",
            'departments[0].x: must be a number, not "left"',
            "handsets[0].extension: must be a string, not 8001",
            "handsets[1].allow: must be a string, not 2",
            'handsets[1].receiveOnly: must be true or false, not "yes"',
        ])
    })

    test("unknown keys, at every level", () => {
        const raw = rawPolicy({ areacode: "025" }, [
            { extension: "8001", class: "local" } as any,
        ])
        raw.handset = []
        raw.departments[0].colour = "red"
        expect(errors(raw)).toEqual([
            "handset: unknown key (expected one of: version, site, departments, handsets, authCodes, tariffs, premiumFine)",
            "site.areacode: unknown key (expected one of: name, areaCode, ipPrefix, emergency, premiumPrefixes, outsideLinePrefix, ringsBeforeForward, blocked, allowed, timers)",
            "departments[0].colour: unknown key (expected one of: id, name, floor, x, y, head)",
            "handsets[0].class: unknown key (expected one of: extension, department, allow, receiveOnly, suspended, name, owner)",
        ])
        expect(errors(siteWith({ timers: { shortMS: 2000 } }))).toEqual([
            "site.timers.shortMS: unknown key (expected one of: firstDigitMs, interDigitMs, shortMs)",
        ])
    })

    test("several problems at once are all listed, and no policy is returned", () => {
        const raw = rawPolicy({ areaCode: "026", outsideLinePrefix: "123" }, [
            { extension: "8001", department: "eng" },
            { extension: "8001", allow: "everything" },
            { extension: "0123" },
        ])
        delete raw.version
        const v = validatePolicy(raw)
        expect(v.policy).toBeUndefined()
        expect(v.errors).toEqual([
            "version: required",
            'site.areaCode: "026" is not a Chinese area code',
            'site.outsideLinePrefix: "123" must be 1-2 digits (or "" for none)',
            'handsets[0].department: unknown department "eng" (known: ops)',
            'handsets[1].extension: duplicate extension "8001" (also handsets[0])',
            'handsets[1].allow: "everything" must be one of internal, local, domestic, international',
            'handsets[2].extension: "0123" must not start with 0 (trunk prefix) or 1 (emergency, mobile and service numbers)',
        ])
    })

    test("required parts", () => {
        expect(errors({ version: 1 })).toEqual([
            "site: required object",
            "departments: required list",
            "handsets: required list",
        ])
        expect(
            errors({ version: 1, site: {}, departments: [{}], handsets: [{}] })
        ).toEqual([
            "site.name: required",
            "site.areaCode: required",
            "departments[0].id: required",
            "departments[0].floor: required",
            "departments[0].x: required",
            "departments[0].y: required",
            "handsets[0].extension: required",
            "handsets[0].department: required",
        ])
    })

    test("departments", () => {
        const raw = rawPolicy()
        raw.departments.push(
            { id: "ops", floor: 1, x: 0, y: 0 },
            { id: "", floor: 1, x: 0, y: 0 },
            "sales"
        )
        expect(errors(raw)).toEqual([
            'departments[1].id: duplicate department "ops"',
            "departments[2].id: must not be empty",
            "departments[3]: must be an object",
        ])
    })

    test("extensions", () => {
        const raw = rawPolicy({ outsideLinePrefix: "9" }, [
            { extension: "8" },
            { extension: "8000000" },
            { extension: "1234" },
            { extension: "9001" },
            { extension: "80a1" },
        ])
        expect(errors(raw)).toEqual([
            'handsets[0].extension: "8" must be 2-6 digits 0-9',
            'handsets[1].extension: "8000000" must be 2-6 digits 0-9',
            'handsets[2].extension: "1234" must not start with 0 (trunk prefix) or 1 (emergency, mobile and service numbers)',
            'handsets[3].extension: "9001" starts with the outside-line prefix 9',
            'handsets[4].extension: "80a1" must be 2-6 digits 0-9',
        ])
    })

    test("an extension starting with an emergency number could never be dialled", () => {
        expect(
            errors(
                rawPolicy({ areaCode: "010" }, [
                    { extension: "9990" },
                    { extension: "999" },
                    { extension: "99" },
                ])
            )
        ).toEqual([
            'handsets[0].extension: "9990" starts with emergency number 999, so it could never be dialled',
            'handsets[1].extension: "999" starts with emergency number 999, so it could never be dialled',
        ])
        // Outside Beijing 999x is an ordinary extension.
        accepted(rawPolicy({}, [{ extension: "9990" }]))
    })
})

describe("emergency numbers are protected", () => {
    test("the national ones cannot be removed", () => {
        expect(errors(siteWith({ emergency: ["110", "119", "120"] }))).toEqual([
            "site.emergency: must include 122: national emergency numbers cannot be removed",
        ])
    })

    test("a blocked entry that is the start of an emergency number is refused", () => {
        expect(errors(siteWith({ blocked: ["0755", "11", "12"] }))).toEqual([
            "site.blocked[1]: would block emergency number 110",
            "site.blocked[1]: would block emergency number 119",
            "site.blocked[2]: would block emergency number 120",
            "site.blocked[2]: would block emergency number 122",
            "site.blocked[2]: would block emergency number 12395",
        ])
        expect(errors(siteWith({ areaCode: "010", blocked: ["99"] }))).toEqual([
            "site.blocked[0]: would block emergency number 999",
        ])
        // Blocking 99 outside Beijing is fine, and so is a longer entry.
        accepted(siteWith({ blocked: ["99", "1101"] }))
    })

    test("a premium entry overlapping an emergency number is refused", () => {
        expect(
            errors(siteWith({ premiumPrefixes: ["110xx", "12xxx"] }))
        ).toEqual([
            "site.premiumPrefixes[0]: would block emergency number 110",
            'site.premiumPrefixes[1]: "12xxx" needs at least 3 leading digits',
            "site.premiumPrefixes[1]: would block emergency number 120",
            "site.premiumPrefixes[1]: would block emergency number 122",
            "site.premiumPrefixes[1]: would block emergency number 12395",
        ])
    })

    test("an outside-line prefix clashing with an emergency number is refused", () => {
        expect(errors(siteWith({ outsideLinePrefix: "1" }))).toEqual([
            'site.outsideLinePrefix: "1" clashes with emergency number 110',
            'site.outsideLinePrefix: "1" clashes with emergency number 119',
            'site.outsideLinePrefix: "1" clashes with emergency number 120',
            'site.outsideLinePrefix: "1" clashes with emergency number 122',
            'site.outsideLinePrefix: "1" clashes with emergency number 12395',
        ])
        expect(
            errors(siteWith({ areaCode: "010", outsideLinePrefix: "9" }))
        ).toEqual([
            'site.outsideLinePrefix: "9" clashes with emergency number 999',
        ])
        accepted(siteWith({ outsideLinePrefix: "9" }))
    })

    test("an emergency number that starts another would hide it", () => {
        expect(
            errors(
                siteWith({
                    emergency: ["110", "119", "120", "122", "1239", "12395"],
                })
            )
        ).toEqual([
            'site.emergency[4]: "1239" is the start of emergency number 12395, which could then never be dialled',
        ])
    })
})

describe("site lists, prefixes and timers", () => {
    test("list entries must be digit strings, without duplicates", () => {
        expect(
            errors(
                siteWith({
                    blocked: ["0755", "0755", 168, "16x"],
                    allowed: "0571",
                })
            )
        ).toEqual([
            'site.blocked[1]: duplicate "0755"',
            "site.blocked[2]: 168 must be 1-20 digits 0-9",
            'site.blocked[3]: "16x" must be 1-20 digits 0-9',
            "site.allowed: must be a list of numbers as strings",
        ])
        expect(
            errors(
                siteWith({ premiumPrefixes: ["16x8", "xxxx", "1".repeat(21)] })
            )
        ).toEqual([
            'site.premiumPrefixes[0]: "16x8" must be digits, optionally followed by x\'s',
            'site.premiumPrefixes[1]: "xxxx" must be digits, optionally followed by x\'s',
            'site.premiumPrefixes[2]: "111111111111111111111" must be digits, optionally followed by x\'s',
        ])
    })

    test("a blocked or allowed entry starting with an IP prefix would never match", () => {
        expect(
            errors(
                siteWith({
                    blocked: ["17951", "179"],
                    allowed: ["1790901", "12593"],
                })
            )
        ).toEqual([
            'site.blocked[0]: "17951" starts with the IP prefix 17951, which is stripped before numbers are matched: list the number without it',
            'site.allowed[0]: "1790901" starts with the IP prefix 17909, which is stripped before numbers are matched: list the number without it',
            'site.allowed[1]: "12593" starts with the IP prefix 12593, which is stripped before numbers are matched: list the number without it',
        ])
        expect(
            errors(siteWith({ ipPrefix: "17968", blocked: ["179681"] }))
        ).toEqual([
            'site.blocked[0]: "179681" starts with the IP prefix 17968, which is stripped before numbers are matched: list the number without it',
        ])
    })

    test("a blocked or allowed entry starting with 00 86 (China itself) would never match", () => {
        expect(
            errors(siteWith({ blocked: ["0086168"], allowed: ["008610"] }))
        ).toEqual([
            'site.blocked[0]: "0086168" starts with 0086, China\'s own calling code: list the national number (0 + area code, or the mobile or service number)',
            'site.allowed[0]: "008610" starts with 0086, China\'s own calling code: list the national number (0 + area code, or the mobile or service number)',
        ])
        // Other countries' codes starting 008 are fine.
        accepted(siteWith({ blocked: ["00852"], allowed: ["0081"] }))
    })

    test("IP prefix: an IP long-distance access code, or none", () => {
        // "00" would turn 00 44 ... into a wrong local number, "0" every
        // domestic call into nonsense, "1790" is no carrier's code.
        for (const bad of [
            "0",
            "00",
            "1790",
            "179O9",
            "123456789",
            "96688",
            "1791",
            "179090",
            "12345",
            "10086",
        ])
            expect(errors(siteWith({ ipPrefix: bad })), bad).toEqual([
                `site.ipPrefix: "${bad}" is not an IP long-distance access code: one of 17909, 17900, 17901, 17911, 17951, 10193, 12593, another 179xx code, or "" for none`,
            ])
        for (const good of [
            "17909",
            "17900",
            "17901",
            "17911",
            "17951",
            "10193",
            "12593",
            "17968",
            "17990",
            "",
        ])
            expect(accepted(siteWith({ ipPrefix: good })).site.ipPrefix).toBe(
                good
            )
    })

    test("premium prefixes add to the built-in ones, never remove them", () => {
        expect(
            accepted(siteWith({ premiumPrefixes: ["12590"] })).site
                .premiumPrefixes
        ).toEqual(["160xxxxx", "168xxxxx", "12590"])
        expect(
            accepted(siteWith({ premiumPrefixes: ["9009xxxx", "168xxxxx"] }))
                .site.premiumPrefixes
        ).toEqual(["160xxxxx", "168xxxxx", "12590", "9009xxxx"])
        expect(
            accepted(siteWith({ premiumPrefixes: [] })).site.premiumPrefixes
        ).toEqual(["160xxxxx", "168xxxxx", "12590"])
        // A site emergency number inside a built-in premium range cannot be.
        expect(
            errors(
                siteWith({
                    emergency: ["110", "119", "120", "122", "16012"],
                })
            )
        ).toEqual([
            'site.emergency: "16012" overlaps the premium line 160xxxxx (built in)',
        ])
    })

    test("timers", () => {
        expect(errors(siteWith({ timers: { shortMs: 12000 } }))).toEqual([
            "site.timers.shortMs: must be a whole number from 500 to 10000, not 12000",
        ])
        expect(
            errors(siteWith({ timers: { interDigitMs: 2000, shortMs: 3000 } }))
        ).toEqual([
            "site.timers.shortMs: must not be longer than interDigitMs (2000)",
        ])
        expect(errors(siteWith({ timers: { firstDigitMs: 999 } }))).toEqual([
            "site.timers.firstDigitMs: must be a whole number from 1000 to 60000, not 999",
        ])
        expect(errors(siteWith({ timers: 3000 }))).toEqual([
            "site.timers: must be an object",
        ])
        expect(accepted(siteWith({ timers: {} })).site.timers).toEqual(
            DEFAULT_TIMERS
        )
    })

    test("rings before forwarding", () => {
        expect(errors(siteWith({ ringsBeforeForward: 0 }))).toEqual([
            "site.ringsBeforeForward: must be a whole number from 1 to 20, not 0",
        ])
        expect(errors(siteWith({ ringsBeforeForward: 21 }))).toEqual([
            "site.ringsBeforeForward: must be a whole number from 1 to 20, not 21",
        ])
    })
})

describe("one extension check for the policy and a board's ports", () => {
    const config = (ports: any[]) => validateConfig({ board: "desk-a", ports })

    test.each(["0801", "1801", "8", "8001234", "80a1"])(
        "%s is refused as a handset and as a port",
        ext => {
            const why = errors(handsetWith({ extension: ext }))[0]
            expect(why).toMatch(/^handsets\[0\]\.extension: "[^"]+" must /)
            const reason = why.slice(why.indexOf(" must ") + 1)
            expect(config(["8000", ext]).errors).toEqual([
                "ports[1]: an extension " + reason,
            ])
        }
    )

    test.each(["80", "8001", "200000", "999999"])(
        "%s is fine for both",
        ext => {
            accepted(handsetWith({ extension: ext }))
            expect(config([ext]).errors).toEqual([])
        }
    )
})

// The cost itself (linear in handsets + departments) is measured by
// `npm run bench`, not asserted here.
describe("many departments", () => {
    test("2,000 departments: an unknown one is reported naming the first ten", () => {
        const departments = []
        for (let i = 0; i < 2000; ++i)
            departments.push({ id: "d" + i, floor: 1, x: 0, y: 0 })
        const raw = rawPolicy({}, [{ extension: "8001", department: "d2000" }])
        raw.departments = departments
        expect(errors(raw)).toEqual([
            'handsets[0].department: unknown department "d2000" (known: d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, ... 2000 in all)',
        ])
    })

    test("department ids are compared as text, whatever they are", () => {
        const raw = rawPolicy({}, [
            { extension: "8001", department: "constructor" },
            { extension: "8002", department: "toString" },
        ])
        raw.departments = [
            { id: "__proto__", floor: 1, x: 0, y: 0 },
            { id: "constructor", floor: 1, x: 0, y: 0 },
        ]
        expect(errors(raw)).toEqual([
            'handsets[1].department: unknown department "toString" (known: __proto__, constructor)',
        ])
        raw.departments.push({ id: "constructor", floor: 2, x: 0, y: 0 })
        expect(errors(raw)).toContain(
            'departments[2].id: duplicate department "constructor"'
        )
    })
})
