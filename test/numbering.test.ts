// The Chinese numbering plan as data (devs/numbering) and as the engine
// applies it: area codes and subscriber lengths, mobile blocks, short and
// toll-free numbers, international lengths, and the boundary lengths (one
// digit short, one digit long).

import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { describe, expect, test } from "vitest"
import {
    AREA_CODES_7,
    AREA_CODES_7_OR_8,
    AREA_CODES_8,
} from "../devs/numbering/areaCodes"
import {
    CATEGORY_PRECEDENCE,
    classRank,
    isLongDistance,
    requiredClass,
} from "../devs/numbering/categories"
import {
    BEIJING_EMERGENCY,
    DEFAULT_EMERGENCY,
    DEFAULT_PREMIUM,
    IP_PREFIXES,
    MOBILE_BLOCKS,
    SERVICE_NUMBERS,
} from "../devs/numbering/chinaPlan"
import {
    COUNTRY_KEY_MAX,
    COUNTRY_LENGTHS,
} from "../devs/numbering/countryLengths"
import {
    countryLengths,
    eachWord,
    hasWord,
    splitPattern,
    subscriberLengths,
    wordCount,
    WordCursor,
} from "../devs/numbering/digits"
import { EXT, makeSite, Rng, words } from "./helpers"

const nanjing = makeSite()

/** "dial domestic 1790901062345678" / "block invalid invalid" and how many keys it took (0 = the timer). */
function dialled(site: ReturnType<typeof makeSite>, num: string): string {
    const t = site.dial(EXT.international, num)
    const d = t.decision
    return `${d.action} ${d.category} ${d.action === "dial" ? d.dial : d.code} @${t.decidedAfter}`
}

function range(from: number, to: number): string[] {
    const out: string[] = []
    for (let i = from; i <= to; ++i) out.push("" + i)
    return out
}

describe("area codes", () => {
    const eight = words(AREA_CODES_8)
    const seven = words(AREA_CODES_7)
    const either = words(AREA_CODES_7_OR_8)

    test("2-digit codes: 10, 20-25, 27-29, all with 8-digit numbers; 26 is unassigned", () => {
        const two = [...eight, ...seven, ...either].filter(c => c.length === 2)
        expect(two).toEqual([
            "10",
            "20",
            "21",
            "22",
            "23",
            "24",
            "25",
            "27",
            "28",
            "29",
        ])
        expect(subscriberLengths("26")).toBeUndefined()
    })

    test("3-digit codes with 8-digit numbers are exactly the published list", () => {
        const published = [
            "311",
            "371",
            "377",
            "379",
            "411",
            "431",
            "432",
            "451",
            ...range(510, 519),
            "523",
            "527",
            "531",
            "532",
            "551",
            "571",
            ...range(573, 577),
            "579",
            "591",
            "595",
            "731",
            "755",
            "757",
            "760",
            "769",
            "791",
            "871",
            "898",
        ]
        expect(eight.filter(c => c.length === 3)).toEqual(published)
    })

    test("433, 435, 754 and 851 have 7- or 8-digit numbers", () => {
        expect(either).toEqual(["433", "435", "754", "851"])
        for (const c of either) expect(subscriberLengths(c)).toEqual([7, 8])
    })

    test("about 314 three-digit codes, each in one list only, all 3xx-9xx", () => {
        const all = [...eight, ...seven, ...either]
        const three = all.filter(c => c.length === 3)
        expect(three.length).toBe(311)
        expect(new Set(all).size).toBe(all.length)
        for (const c of three) expect("3456789").toContain(c.charAt(0))
    })

    test("subscriberLengths", () => {
        expect(subscriberLengths("10")).toEqual([8, 8])
        expect(subscriberLengths("755")).toEqual([8, 8])
        expect(subscriberLengths("512")).toEqual([8, 8])
        expect(subscriberLengths("571")).toEqual([8, 8])
        expect(subscriberLengths("931")).toEqual([7, 7])
        expect(subscriberLengths("710")).toEqual([7, 7])
        expect(subscriberLengths("851")).toEqual([7, 8])
        for (const bad of ["", "0", "1", "010", "0755", "300", "26", "999 "])
            expect(subscriberLengths(bad)).toBeUndefined()
    })
})

describe("dialling 0 + area code + subscriber: boundary lengths", () => {
    // Every 2-digit code: 8 digits complete at once; 7 are refused after the
    // timer; a 9th key is ignored.
    for (const ac of [
        "10",
        "20",
        "21",
        "22",
        "23",
        "24",
        "25",
        "27",
        "28",
        "29",
    ]) {
        const own = ac === "25"
        test(`0${ac}`, () => {
            const n = "0" + ac + "23456789"
            const sent = own ? n : "17909" + n
            const cat = own ? "local" : "domestic"
            expect(dialled(nanjing, n)).toBe(`dial ${cat} ${sent} @11`)
            expect(dialled(nanjing, n + "1")).toBe(`dial ${cat} ${sent} @11`)
            expect(dialled(nanjing, "0" + ac + "2345678")).toBe(
                "block invalid invalid @0"
            )
        })
    }

    test("026 is not an area code: refused at the third key", () => {
        expect(dialled(nanjing, "02623456789")).toBe("block invalid invalid @3")
    })

    test.each(["755", "512", "571", "311", "898"])(
        "0%s: 8-digit numbers",
        ac => {
            const n = "0" + ac + "23456789"
            expect(dialled(nanjing, n)).toBe(`dial domestic 17909${n} @12`)
            expect(dialled(nanjing, n + "0")).toBe(
                `dial domestic 17909${n} @12`
            )
            expect(dialled(nanjing, "0" + ac + "2345678")).toBe(
                "block invalid invalid @0"
            )
        }
    )

    test.each(["931", "710", "351", "471", "999"])(
        "0%s: 7-digit numbers",
        ac => {
            const n = "0" + ac + "2345678"
            expect(dialled(nanjing, n)).toBe(`dial domestic 17909${n} @11`)
            expect(dialled(nanjing, n + "9")).toBe(
                `dial domestic 17909${n} @11`
            )
            expect(dialled(nanjing, "0" + ac + "234567")).toBe(
                "block invalid invalid @0"
            )
        }
    )

    test.each(["433", "435", "754", "851"])(
        "0%s: 7 digits by the timer, 8 at once, 6 refused",
        ac => {
            const n = "0" + ac + "2345678"
            expect(dialled(nanjing, n)).toBe(`dial domestic 17909${n} @0`)
            expect(dialled(nanjing, n + "9")).toBe(
                `dial domestic 17909${n}9 @12`
            )
            expect(dialled(nanjing, n + "90")).toBe(
                `dial domestic 17909${n}9 @12`
            )
            expect(dialled(nanjing, "0" + ac + "234567")).toBe(
                "block invalid invalid @0"
            )
        }
    )

    test("every area code: the full length completes at its last key, one short is refused", () => {
        const r = new Rng(3)
        for (const ac of [
            ...words(AREA_CODES_8),
            ...words(AREA_CODES_7),
            ...words(AREA_CODES_7_OR_8),
        ]) {
            const [min, max] = subscriberLengths(ac)!
            // (not 9: 0 + area code + 95xxx(x) is a complete in-area service number)
            const n = "0" + ac + r.from("2345678") + r.digits(max - 1)
            const t = nanjing.dial(EXT.international, n)
            expect(t.decidedAfter, n).toBe(n.length)
            expect(t.decision.category, n).toBe(
                ac === "25" ? "local" : "domestic"
            )
            const short = n.slice(0, 1 + ac.length + min - 1)
            expect(
                nanjing.decide(EXT.international, short).category,
                short
            ).toBe("invalid")
        }
    })

    test("a subscriber number never starts with 0 or 1: 0 + area code + 1... is refused once no service number fits", () => {
        expect(dialled(nanjing, "01062345678")).toBe(
            "dial domestic 1790901062345678 @11"
        )
        expect(dialled(nanjing, "01002345678")).toBe("block invalid invalid @4")
        // 025 + "19876543": no subscriber number, no Nanjing service number.
        expect(dialled(nanjing, "02519876543")).toBe("block invalid invalid @5")
        expect(dialled(nanjing, "01019876543")).toBe("block invalid invalid @5")
        expect(dialled(nanjing, "093119876543")).toBe(
            "block invalid invalid @6"
        )
        // 010 1234 5678 is Beijing's 12345 hotline and three more keys.
        expect(dialled(nanjing, "01012345678")).toBe(
            "dial domestic 1790901012345 @8"
        )
    })

    test("another city's service numbers after its area code: long distance, at their own length", () => {
        // [typed, what it is, expected]
        const cases = [
            ["010114", "Beijing directory", "dial domestic 17909010114 @6"],
            ["01012345", "Beijing 12345", "dial domestic 1790901012345 @8"],
            ["02110086", "Shanghai 10086", "dial domestic 1790902110086 @8"],
            [
                "075512121",
                "Shenzhen weather",
                "dial domestic 17909075512121 @9",
            ],
            ["093112345", "Lanzhou 12345", "dial domestic 17909093112345 @9"],
            ["085112315", "Guiyang 12315", "dial domestic 17909085112315 @9"],
            ["075595588", "95xxx waits", "dial domestic 17909075595588 @0"],
            [
                "0755955888",
                "95xxxx, or an 8-digit number",
                "dial domestic 179090755955888 @0",
            ],
            // The own area code: a local service call, sent as dialled.
            ["025114", "own directory", "dial service 025114 @6"],
            ["02510086", "own 10086", "dial service 02510086 @8"],
            ["02512345", "own 12345", "dial service 02512345 @8"],
        ]
        for (const [n, what, want] of cases)
            expect(dialled(nanjing, n), what).toBe(want)
        // An internal-only handset may not: it is a call out.
        expect(nanjing.decide(EXT.internal, "010114").code).toBe("class")
        expect(nanjing.decide(EXT.local, "010114").code).toBe("class")
    })
})

describe("local numbers (no area code)", () => {
    test("8-digit area: 8 digits complete, 7 refused, 9th ignored", () => {
        expect(dialled(nanjing, "84001234")).toBe("dial local 84001234 @8")
        expect(dialled(nanjing, "840012345")).toBe("dial local 84001234 @8")
        expect(dialled(nanjing, "8400123")).toBe("block invalid invalid @0")
    })

    test("7-digit area: 7 digits complete", () => {
        const s = makeSite({ areaCode: "0931" })
        expect(dialled(s, "8400123")).toBe("dial local 8400123 @7")
        expect(dialled(s, "84001234")).toBe("dial local 8400123 @7")
        expect(dialled(s, "840012")).toBe("block invalid invalid @0")
        // From there, Nanjing is long distance.
        expect(dialled(s, "02584001234")).toBe(
            "dial domestic 1790902584001234 @11"
        )
    })

    test("7-or-8 area: 7 digits wait the short timer, 8 complete", () => {
        const s = makeSite({ areaCode: "0851" })
        const seven = s.dial(EXT.local, "8400123")
        expect(seven.timers[6]).toBe("short")
        expect(dialled(s, "8400123")).toBe("dial local 8400123 @0")
        expect(dialled(s, "84001234")).toBe("dial local 84001234 @8")
        expect(dialled(s, "085184001234")).toBe("dial local 085184001234 @12")
    })

    test("a local number never starts with 0 or 1", () => {
        expect(nanjing.decide(EXT.local, "12345678").category).not.toBe("local")
        expect(dialled(nanjing, "11345678")).toBe("block invalid invalid @3")
    })
})

describe("mobile numbers", () => {
    const MIIT = [
        ...range(130, 139),
        ...range(145, 149),
        ...range(150, 153),
        ...range(155, 159),
        "162",
        "165",
        "166",
        "167",
        ...range(170, 173),
        ...range(175, 178),
        ...range(180, 189),
        ...range(190, 193),
        ...range(195, 199),
    ]

    test("the mobile blocks are exactly the MIIT allocation", () => {
        expect(words(MOBILE_BLOCKS)).toEqual(MIIT)
    })

    test("every block: 11 digits complete at once, 10 are refused, a 12th key is ignored", () => {
        for (const b of MIIT) {
            const n = b + "12345678"
            expect(dialled(nanjing, n)).toBe(`dial mobile ${n} @11`)
            expect(dialled(nanjing, n + "9")).toBe(`dial mobile ${n} @11`)
            expect(dialled(nanjing, n.slice(0, 10))).toBe(
                "block invalid invalid @0"
            )
            expect(dialled(nanjing, "0" + n)).toBe(
                `dial domestic 179090${n} @12`
            )
        }
    })

    test.each([
        "140",
        "141",
        "142",
        "143",
        "144",
        "154",
        "161",
        "163",
        "164",
        "169",
        "174",
        "179",
        "194",
    ])("%s is not a mobile block", b => {
        const d = nanjing.decide(EXT.international, b + "12345678")
        expect(d.category).not.toBe("mobile")
        expect(d.action).toBe("block")
    })
})

/**
 * The service numbers in use, each with what it is and where that comes
 * from: [LPN] libphonenumber ShortNumberMetadata.xml (CN: 100xx, 114, 117,
 * 121xx, 95xxx(x), 96xxx(x)), [MIIT] the MIIT's public service numbers
 * 12xxx (as listed on zh.wikipedia.org 中国大陆服务电话号码列表), [OP] the
 * carrier's own service. Each is a service call, complete at its last key.
 */
const SERVICE_NUMBERS_IN_USE: [string, string][] = [
    ["10000", "China Telecom customer service [LPN, OP]"],
    ["10010", "China Unicom customer service [LPN, OP]"],
    ["10086", "China Mobile customer service [LPN, OP]"],
    ["114", "directory enquiries [LPN]"],
    ["116114", "China Unicom directory and information [OP]"],
    ["117", "speaking clock [LPN]"],
    ["118114", "China Telecom 号码百事通 directory [OP]"],
    ["12110", "SMS police reports [LPN, MIIT]"],
    ["12117", "time [LPN, MIIT]"],
    ["12119", "forest fire reports [LPN, MIIT]"],
    ["12121", "weather forecast [LPN, MIIT]"],
    ["12122", "highway rescue [LPN, MIIT]"],
    ["12123", "traffic administration services [LPN, MIIT]"],
    ["12300", "MIIT telecom user complaints [MIIT]"],
    ["12301", "tourism service [MIIT]"],
    ["12305", "postal complaints [MIIT]"],
    ["12306", "railway customer service [MIIT]"],
    ["12308", "consular protection [MIIT]"],
    ["12309", "procuratorate service [MIIT]"],
    ["12312", "commerce complaints [MIIT]"],
    ["12315", "consumer complaints [MIIT]"],
    ["12316", "agriculture service [MIIT]"],
    ["12318", "culture market reports [MIIT]"],
    ["12319", "urban construction service [MIIT]"],
    ["12320", "public health [MIIT]"],
    ["12321", "spam and bad-content reports [MIIT]"],
    ["12322", "earthquake service [MIIT]"],
    ["12328", "transport service supervision [MIIT]"],
    ["12329", "housing provident fund [MIIT]"],
    ["12330", "intellectual property [MIIT]"],
    ["12331", "food and drug complaints [MIIT]"],
    ["12333", "labour and social security [MIIT]"],
    ["12336", "land resources reports [MIIT]"],
    ["12338", "women's rights [MIIT]"],
    ["12339", "state security reports [MIIT]"],
    ["12345", "government service hotline [MIIT]"],
    ["12348", "legal services [MIIT]"],
    ["12350", "work safety reports [MIIT]"],
    ["12351", "trade union workers' rights [MIIT]"],
    ["12355", "youth service [MIIT]"],
    ["12358", "price reports [MIIT]"],
    ["12360", "customs [MIIT]"],
    ["12365", "quality supervision [MIIT]"],
    ["12366", "tax service [MIIT]"],
    ["12368", "court litigation service [MIIT]"],
    ["12369", "environmental reports [MIIT]"],
    ["12380", "organisation work reports [MIIT]"],
    ["12388", "discipline inspection reports [MIIT]"],
    ["12389", "police conduct reports [MIIT]"],
    ["12393", "medical insurance [MIIT]"],
    ["12398", "energy regulation [MIIT]"],
    ["12580", "China Mobile information service [OP]"],
    ["95588", "enterprise service (ICBC), 95xxx [LPN]"],
    ["955888", "enterprise service, 95xxxx [LPN]"],
    ["96123", "local service, 96xxx [LPN]"],
    ["9501234567", "shared cost 950 + 7 [PhoneNumberMetadata]"],
    ["95012345678", "shared cost 950 + 8 [PhoneNumberMetadata]"],
]

describe("short, service and toll-free numbers", () => {
    test.each(SERVICE_NUMBERS_IN_USE)("%s (%s) is a service call", n => {
        const t = nanjing.dial(EXT.local, n)
        expect(t.decision.action + " " + t.decision.category, n).toBe(
            "dial service"
        )
        expect(t.decision.dial).toBe(n)
        // At its last key, unless a longer number starts with it (95xxx,
        // 96xxx, a 950 number of 7: the short timer).
        expect(t.decidedAfter === n.length || t.timers.pop() === "short").toBe(
            true
        )
    })

    test("every entry of the service table (chinaPlan.SERVICE_NUMBERS) has numbers in use above", () => {
        for (const spec of SERVICE_NUMBERS) {
            const prefix = spec.split(" ")[0]
            expect(
                SERVICE_NUMBERS_IN_USE.some(([n]) => n.indexOf(prefix) === 0),
                spec
            ).toBe(true)
        }
    })

    test("one digit short or long: refused or cut", () => {
        expect(dialled(nanjing, "11811")).toBe("block invalid invalid @0")
        expect(dialled(nanjing, "1161145")).toBe("dial service 116114 @6")
        expect(dialled(nanjing, "1258")).toBe("block invalid invalid @0")
        expect(dialled(nanjing, "1211")).toBe("block invalid invalid @0")
    })

    test.each([
        ["10000", "@5"],
        ["10010", "@5"],
        ["10086", "@5"],
        ["114", "@3"],
        ["117", "@3"],
        ["12121", "@5"],
        ["12315", "@5"],
        ["12345", "@5"],
        ["95588", "@0"],
        ["955888", "@0"],
        ["96123", "@0"],
        ["9501234567", "@0"],
        ["95012345678", "@11"],
    ])("%s is a service number (%s)", (n, at) => {
        expect(dialled(nanjing, n)).toBe(`dial service ${n} ${at}`)
    })

    test.each(["8001234567", "4001234567", "108001234567", "218001234567"])(
        "%s is toll free / shared cost",
        n => {
            expect(dialled(nanjing, n)).toBe(`dial tollfree ${n} @${n.length}`)
        }
    )

    test("toll-free numbers one digit short are refused", () => {
        expect(dialled(nanjing, "400123456")).toBe("block invalid invalid @0")
        expect(dialled(nanjing, "10800123456")).toBe("block invalid invalid @0")
    })
})

describe("international lengths", () => {
    test.each([
        ["0012125551234", "@13", "NANP: 10 digits"],
        ["0085221234567", "@13", "Hong Kong: 8 digits"],
        ["00852800123456", "@14", "Hong Kong 800 toll free: 9 digits"],
        ["0085328123456", "@13", "Macau: 8 digits"],
        ["008530800123", "@12", "Macau 0800 toll free: 7 digits"],
        ["00886912345678", "@14", "Taiwan mobile: 9 digits"],
        ["0088622123456", "@0", "Taiwan: 8 digits, or 9 may follow"],
        [
            "008862021234",
            "@0",
            "Taiwan 202 premium: 7 digits, or a 9-digit 20 number",
        ],
        ["0088670123456789", "@16", "Taiwan 70: 10 or 11 digits"],
        ["00442079460018", "@14", "UK: 10 digits"],
        ["00447911123456", "@14", "UK mobile: 10 digits"],
        ["0033142685300", "@13", "France: 9 digits"],
        ["0081312345678", "@13", "Japan, Tokyo: 9 digits"],
        ["00819012345678", "@14", "Japan mobile: 10 digits"],
        ["00821012345678", "@14", "Korea mobile: 10 digits"],
        ["008221234567", "@0", "Korea, Seoul: 9 or 10 digits"],
        ["0065 91234567".replace(" ", ""), "@12", "Singapore: 8 digits"],
        ["0061412345678", "@13", "Australia mobile: 9 digits"],
        ["0074951234567", "@13", "Russia: 10 digits"],
        ["0049301234567", "@0", "Germany: 5 to 15 digits, by the timer"],
        [
            "00491234567890123",
            "@0",
            "Germany: libphonenumber knows numbers up to 15 national digits",
        ],
    ])("%s completes %s (%s)", (n, at) => {
        expect(dialled(nanjing, n)).toBe(`dial international 17909${n} ${at}`)
    })

    test("a number longer than its country allows: the extra key is ignored", () => {
        expect(dialled(nanjing, "00121255512345")).toBe(
            "dial international 179090012125551234 @13"
        )
        expect(dialled(nanjing, "003314268530012")).toBe(
            "dial international 179090033142685300 @13"
        )
    })

    test("a calling code nobody has: 7 to 15 digits (E.164), by the timer", () => {
        // +28x is spare in the ITU list.
        expect(dialled(nanjing, "002812345")).toBe(
            "dial international 17909002812345 @0"
        )
        expect(dialled(nanjing, "0028123456789012345")).toBe(
            "dial international 1790900281234567890123 @17"
        )
    })

    test("too short or not a country code", () => {
        expect(dialled(nanjing, "0044123")).toBe("block invalid invalid @0")
        expect(dialled(nanjing, "00012345678")).toBe("block invalid invalid @3")
        expect(dialled(nanjing, "00852800123")).toBe("block invalid invalid @0")
        expect(dialled(nanjing, "0033142")).toBe("block invalid invalid @0")
    })

    test("the table: every key starts with a calling code, ranges within what a number can be", () => {
        let entries = 0
        for (let zone = 0; zone <= 9; ++zone) {
            for (const w of words(COUNTRY_LENGTHS[zone])) {
                const [key, range] = w.split(":")
                expect(key.charAt(0), w).toBe("" + zone)
                expect(key.replace("*", "").length, w).toBeLessThanOrEqual(
                    COUNTRY_KEY_MAX
                )
                const [min, max] = range.split("-").map(Number)
                expect(min, w).toBeLessThanOrEqual(max ?? min)
                expect(min, w).toBeGreaterThanOrEqual(3)
                expect(max ?? min, w).toBeLessThanOrEqual(19)
                entries++
            }
        }
        expect(entries).toBeGreaterThan(200)
        // China's own code is not international.
        expect(countryLengths("86")).toBe(-1)
        expect(countryLengths("1")).toBe(811)
        expect(countryLengths("12")).toBe(1111) // "1*": NANP, 10 digits
        expect(countryLengths("852")).toBe(814)
        expect(countryLengths("8522")).toBe(1111) // "852*"
        expect(countryLengths("28")).toBe(-1)
    })

    test("the committed table is what scripts/gen-country-lengths.mjs makes from libphonenumber-js", () => {
        const out = execFileSync(
            process.execPath,
            ["scripts/gen-country-lengths.mjs"],
            { encoding: "utf8" }
        )
        expect(out).toBe(
            readFileSync("devs/numbering/countryLengths.ts", "utf8")
        )
    })

    test("the committed area codes are what scripts/gen-area-codes.mjs makes", () => {
        const out = execFileSync(
            process.execPath,
            ["scripts/gen-area-codes.mjs"],
            { encoding: "utf8" }
        )
        expect(out).toBe(readFileSync("devs/numbering/areaCodes.ts", "utf8"))
    })
})

describe("numbering facts", () => {
    test("emergency numbers: 110 119 120 122 12395 everywhere, 999 only in Beijing, never 112", () => {
        expect(DEFAULT_EMERGENCY).toEqual(["110", "119", "120", "122", "12395"])
        expect(BEIJING_EMERGENCY).toBe("999")
        expect(makeSite({ areaCode: "010" }).policy.site.emergency).toEqual([
            ...DEFAULT_EMERGENCY,
            "999",
        ])
        expect(nanjing.policy.site.emergency).toEqual(DEFAULT_EMERGENCY)
    })

    test("default premium: 160/168 + 5 digits and 12590", () => {
        expect(DEFAULT_PREMIUM).toEqual(["160xxxxx", "168xxxxx", "12590"])
    })

    test("IP prefixes of the three carriers", () => {
        expect(IP_PREFIXES.slice().sort()).toEqual([
            "10193",
            "12593",
            "17900",
            "17901",
            "17909",
            "17911",
            "17951",
        ])
    })
})

describe("categories", () => {
    test("class needed per category", () => {
        expect(requiredClass("internal")).toBeUndefined()
        expect(requiredClass("emergency")).toBeUndefined()
        expect(requiredClass("premium")).toBeUndefined()
        for (const c of ["local", "mobile", "tollfree", "service"] as const)
            expect(requiredClass(c)).toBe("local")
        expect(requiredClass("domestic")).toBe("domestic")
        expect(requiredClass("international")).toBe("international")
    })

    test("classes rank internal < local < domestic < international", () => {
        expect(classRank("internal")).toBeLessThan(classRank("local"))
        expect(classRank("local")).toBeLessThan(classRank("domestic"))
        expect(classRank("domestic")).toBeLessThan(classRank("international"))
    })

    test("only domestic and international are long distance", () => {
        const long = CATEGORY_PRECEDENCE.filter(isLongDistance)
        expect(long).toEqual(["domestic", "international"])
    })

    test("precedence: emergency first, then premium; every category exactly once", () => {
        expect(CATEGORY_PRECEDENCE.slice(0, 3)).toEqual([
            "emergency",
            "premium",
            "internal",
        ])
        expect(CATEGORY_PRECEDENCE[CATEGORY_PRECEDENCE.length - 1]).toBe(
            "invalid"
        )
        expect(new Set(CATEGORY_PRECEDENCE).size).toBe(10)
    })
})

describe("digit helpers", () => {
    test("splitPattern", () => {
        expect(splitPattern("168xxxxx")).toEqual({
            literal: "168",
            anyCount: 5,
        })
        expect(splitPattern("12590")).toEqual({ literal: "12590", anyCount: 0 })
        expect(splitPattern("xx")).toEqual({ literal: "", anyCount: 2 })
    })

    test("word lists", () => {
        const seen: string[] = []
        eachWord(" 10  20 755", w => seen.push(w))
        expect(seen).toEqual(["10", "20", "755"])
        expect(hasWord("10 20 755", "20")).toBe(true)
        expect(hasWord("10 20 755", "2")).toBe(false)
        expect(hasWord("10 20 755", "75")).toBe(false)
        expect(wordCount("")).toBe(0)
        expect(wordCount("10 20 755")).toBe(3)
        const c = new WordCursor("10 20 755")
        expect([c.next(), c.next(), c.next()]).toEqual(["10", "20", "755"])
    })
})
