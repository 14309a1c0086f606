// The dial engine as a user meets it: what a handset may call, what is sent
// to the line, and when (which key, which timer) the call is decided.

import { describe, expect, test, vi } from "vitest"
import { compileDialPlan, PlanCompiler } from "../devs/engine/dialPlan"
import {
    DialSession,
    decideDigits,
    unprovisionedHandset,
} from "../devs/engine/dialSession"
import { Matcher } from "../devs/engine/matcher"
import { DialPlan } from "../devs/engine/types"
import { countryLengths, subscriberLengths } from "../devs/numbering/digits"
import { COUNTRY_KEY_MAX } from "../devs/numbering/countryLengths"
import { IP_PREFIXES, MOBILE_BLOCKS } from "../devs/numbering/chinaPlan"
import {
    AREA_CODES_7,
    AREA_CODES_7_OR_8,
    AREA_CODES_8,
} from "../devs/numbering/areaCodes"
import {
    EXT,
    makeSite,
    rawPolicy,
    Rng,
    subscriber,
    validPolicy,
    words,
} from "./helpers"

const nanjing = makeSite()
const ALL = Object.values(EXT)

/** action + category + (dial or block code), for compact expectations. */
function outcome(d: {
    action: string
    category: string
    dial?: string
    code?: string
}): string {
    return (
        d.action +
        " " +
        d.category +
        " " +
        (d.action === "dial" ? d.dial : d.code)
    )
}

describe("premium lines (声讯台)", () => {
    test.each(["16812345", "16012345"])(
        "%s is refused on every handset the moment it is complete",
        num => {
            for (const ext of ALL) {
                const t = nanjing.dial(ext, num)
                expect(outcome(t.decision)).toBe("block premium premium")
                expect(t.decidedAfter).toBe(8)
                expect(t.decision.reason).toBe(
                    num +
                        " is a premium information line (声讯台): blocked on every handset"
                )
            }
        }
    )

    test.each([
        ["01016812345", "after Beijing's area code"],
        ["02016012345", "after Guangzhou's area code"],
        ["075516812345", "after an 8-digit 3-digit area code"],
        ["071016812345", "after a 7-digit area code"],
        ["02516812345", "after the site's own area code"],
    ])("%s (%s) is premium too", num => {
        const t = nanjing.dial(EXT.international, num)
        expect(outcome(t.decision)).toBe("block premium premium")
        expect(t.decidedAfter).toBe(num.length)
    })

    test("12590 SP lines are refused at the fifth key, also after an area code", () => {
        expect(nanjing.dial(EXT.international, "125901234").decidedAfter).toBe(
            5
        )
        expect(outcome(nanjing.decide(EXT.international, "125901234"))).toBe(
            "block premium premium"
        )
        const t = nanjing.dial(EXT.international, "075512590888")
        expect(outcome(t.decision)).toBe("block premium premium")
        expect(t.decidedAfter).toBe(9)
    })

    test.each(["16612345678", "16712345678", "16212345678", "16512345678"])(
        "the trap: %s is a mobile, not premium",
        num => {
            const t = nanjing.dial(EXT.local, num)
            expect(outcome(t.decision)).toBe("dial mobile " + num)
            expect(t.decidedAfter).toBe(11)
        }
    )

    test("a 7-digit 168 number is incomplete, not dialled", () => {
        const d = nanjing.decide(EXT.international, "1681234")
        expect(outcome(d)).toBe("block invalid invalid")
        expect(d.reason).toBe("1681234 is incomplete")
    })

    test("12593 is an IP prefix, not a premium line", () => {
        expect(
            outcome(
                nanjing.decide(
                    EXT.domestic,
                    "125930106234567 8".replace(" ", "")
                )
            )
        ).toBe("dial domestic 1790901062345678")
    })

    test("a site premium list adds to the built-in one, never removes it", () => {
        const s = makeSite({ premiumPrefixes: ["9009xxxx"] })
        expect(outcome(s.decide(EXT.international, "90091234"))).toBe(
            "block premium premium"
        )
        for (const site of [s, makeSite({ premiumPrefixes: ["12590"] })]) {
            // Counted as premium attempts (rule (一)5), bare and after an area code.
            for (const n of [
                "16812345",
                "16012345",
                "02516812345",
                "01016812345",
            ])
                expect(outcome(site.decide(EXT.international, n)), n).toBe(
                    "block premium premium"
                )
        }
    })
})

describe("emergency numbers", () => {
    const EMERGENCY = ["110", "119", "120", "122", "12395"]

    test.each(EMERGENCY)(
        "%s is dialled unchanged from every handset, at its last key",
        num => {
            for (const ext of ALL) {
                const t = nanjing.dial(ext, num)
                expect(outcome(t.decision)).toBe("dial emergency " + num)
                expect(t.decidedAfter).toBe(num.length)
                expect(t.decision.decidedOn).toBe("digit")
                expect(t.decision.reason).toBe(
                    "emergency number: always allowed, sent unchanged"
                )
            }
        }
    )

    test("12395 beats the 123xx hotline rule it also matches", () => {
        expect(outcome(nanjing.decide(EXT.internal, "12395"))).toBe(
            "dial emergency 12395"
        )
        // A neighbouring hotline is a service number, not for an internal-only handset.
        expect(outcome(nanjing.decide(EXT.internal, "12345"))).toBe(
            "block service class"
        )
    })

    test("999 is emergency only where the area code is 010, and then without a timer", () => {
        const beijing = makeSite({ areaCode: "010" })
        for (const ext of ALL) {
            const t = beijing.dial(ext, "999")
            expect(outcome(t.decision)).toBe("dial emergency 999")
            expect(t.decidedAfter).toBe(3)
        }
        // In Nanjing 999 is just the start of a local number.
        const d = nanjing.decide(EXT.international, "999")
        expect(outcome(d)).toBe("block invalid invalid")
        expect(d.reason).toBe("999 is incomplete")
        expect(outcome(nanjing.decide(EXT.international, "99912345"))).toBe(
            "dial local 99912345"
        )
    })

    test("112 is not an emergency number in mainland China", () => {
        const t = nanjing.dial(EXT.international, "112")
        expect(outcome(t.decision)).toBe("block invalid invalid")
        expect(t.decision.reason).toBe(
            "112 is not a number in the numbering plan"
        )
    })

    test("12110 (SMS police reports) and 12122 (highway rescue) are service numbers, not emergency ones", () => {
        for (const n of ["12110", "12122"]) {
            expect(outcome(nanjing.decide(EXT.local, n))).toBe(
                "dial service " + n
            )
            expect(outcome(nanjing.decide(EXT.suspended, n))).toBe(
                "block service suspended"
            )
        }
    })

    test("typed after an IP prefix, the bare number is sent", () => {
        for (const p of ["17909", "17951", "10193"]) {
            for (const ext of [EXT.suspended, EXT.receiveOnly, EXT.internal]) {
                const t = nanjing.dial(ext, p + "110")
                expect(outcome(t.decision)).toBe("dial emergency 110")
                expect(t.decidedAfter).toBe(8)
            }
        }
    })

    test("with an outside-line prefix: dialled with or without it, sent bare", () => {
        const s = makeSite({ outsideLinePrefix: "9" })
        for (const ext of ALL)
            for (const num of EMERGENCY) {
                expect(outcome(s.decide(ext, num))).toBe(
                    "dial emergency " + num
                )
                expect(outcome(s.decide(ext, "9" + num))).toBe(
                    "dial emergency " + num
                )
                expect(outcome(s.decide(ext, "917909" + num))).toBe(
                    "dial emergency " + num
                )
            }
        expect(s.dial(EXT.suspended, "9110").decidedAfter).toBe(4)
    })

    test("a site list entry that starts with an emergency number does not delay it", () => {
        const s = makeSite({ blocked: ["1101"], allowed: ["1191"] })
        const t = s.dial(EXT.internal, "1101")
        expect(outcome(t.decision)).toBe("dial emergency 110")
        expect(t.decidedAfter).toBe(3)
        expect(s.dial(EXT.internal, "119").decidedAfter).toBe(3)
    })

    test("a custom emergency number (site security desk) is honoured like the national ones", () => {
        const s = makeSite({
            emergency: ["110", "119", "120", "122", "12395", "7777"],
        })
        const t = s.dial(EXT.suspended, "7777")
        expect(outcome(t.decision)).toBe("dial emergency 7777")
        expect(t.decidedAfter).toBe(4)
    })
})

describe("00 86 is China itself: the national number, decided as dialled without it", () => {
    test("008616812345 is a premium line, refused on every handset at its last key", () => {
        for (const n of ["008616812345", "008616012345", "008612590"]) {
            for (const ext of ALL) {
                const t = nanjing.dial(ext, n)
                expect(outcome(t.decision), n + " " + ext).toBe(
                    "block premium premium"
                )
                expect(t.decidedAfter, n).toBe(n.length)
            }
        }
    })

    test("a mobile: sent as the 11-digit number, a local-class call", () => {
        const t = nanjing.dial(EXT.local, "008613812345678")
        expect(outcome(t.decision)).toBe("dial mobile 13812345678")
        expect(t.decision.number).toBe("13812345678")
        expect(t.decidedAfter).toBe(15)
    })

    test("the own area code: a local call, sent with the trunk prefix 0", () => {
        const t = nanjing.dial(EXT.local, "00862584001234")
        expect(outcome(t.decision)).toBe("dial local 02584001234")
        expect(t.decision.number).toBe("02584001234")
        expect(t.decidedAfter).toBe(14)
    })

    test("another area code: domestic long distance with the IP prefix, never international", () => {
        const t = nanjing.dial(EXT.domestic, "00861062345678")
        expect(outcome(t.decision)).toBe("dial domestic 1790901062345678")
        expect(t.decision.number).toBe("01062345678")
        expect(t.decidedAfter).toBe(14)
        // A domestic call needs the domestic class, not the international one.
        expect(outcome(nanjing.decide(EXT.local, "00861062345678"))).toBe(
            "block domestic class"
        )
        expect(outcome(nanjing.decide(EXT.domestic, "008675562345678"))).toBe(
            "dial domestic 17909075562345678"
        )
        expect(outcome(nanjing.decide(EXT.domestic, "00869316234567"))).toBe(
            "dial domestic 1790909316234567"
        )
    })

    test("emergency, service and toll-free numbers keep their category", () => {
        expect(outcome(nanjing.decide(EXT.suspended, "0086110"))).toBe(
            "dial emergency 110"
        )
        expect(outcome(nanjing.decide(EXT.local, "008612345"))).toBe(
            "dial service 12345"
        )
        expect(outcome(nanjing.decide(EXT.local, "00864001234567"))).toBe(
            "dial tollfree 4001234567"
        )
        expect(outcome(nanjing.decide(EXT.local, "0086108001234567"))).toBe(
            "dial tollfree 108001234567"
        )
        expect(outcome(nanjing.decide(EXT.local, "0086218001234567"))).toBe(
            "dial tollfree 218001234567"
        )
    })

    test("a national number never starts with 0, nor is China's code followed by nothing", () => {
        const t = nanjing.dial(EXT.international, "0086025840012")
        expect(outcome(t.decision)).toBe("block invalid invalid")
        expect(t.decidedAfter).toBe(5)
        expect(nanjing.decide(EXT.international, "0086").reason).toBe(
            "0086 is incomplete"
        )
        expect(nanjing.decide(EXT.international, "00861").reason).toBe(
            "00861 is incomplete"
        )
    })

    test("after an IP prefix or the outside-line prefix too", () => {
        expect(
            outcome(nanjing.decide(EXT.domestic, "1790900861062345678"))
        ).toBe("dial domestic 1790901062345678")
        const s = makeSite({ outsideLinePrefix: "9" })
        expect(outcome(s.decide(EXT.local, "900862584001234"))).toBe(
            "dial local 02584001234"
        )
        expect(outcome(s.decide(EXT.international, "9008616812345"))).toBe(
            "block premium premium"
        )
    })

    test("the site's blocked and allowed prefixes apply to the national number", () => {
        const s = makeSite({ blocked: ["0755"], allowed: ["0571"] })
        expect(outcome(s.decide(EXT.international, "008675562345678"))).toBe(
            "block domestic siteBlocked"
        )
        expect(outcome(s.decide(EXT.local, "008657162345678"))).toBe(
            "dial domestic 17909057162345678"
        )
    })

    test("00 85x and 00 88x are not China: Hong Kong, Macau, Taiwan stay international", () => {
        expect(outcome(nanjing.decide(EXT.domestic, "0085221234567"))).toBe(
            "block international class"
        )
        expect(outcome(nanjing.decide(EXT.domestic, "0088622123456"))).toBe(
            "block international class"
        )
    })
})

describe("IP long-distance prefix", () => {
    test("domestic and international calls get site.ipPrefix", () => {
        expect(outcome(nanjing.decide(EXT.domestic, "01062345678"))).toBe(
            "dial domestic 1790901062345678"
        )
        expect(outcome(nanjing.decide(EXT.domestic, "075562345678"))).toBe(
            "dial domestic 17909075562345678"
        )
        expect(outcome(nanjing.decide(EXT.domestic, "07106234567"))).toBe(
            "dial domestic 1790907106234567"
        )
        expect(outcome(nanjing.decide(EXT.domestic, "013812345678"))).toBe(
            "dial domestic 17909013812345678"
        )
        expect(
            outcome(nanjing.decide(EXT.international, "0012125551234"))
        ).toBe("dial international 179090012125551234")
        const d = nanjing.decide(EXT.international, "00442079460018")
        expect(outcome(d)).toBe("dial international 1790900442079460018")
        expect(d.reason).toBe("international long distance via IP prefix 17909")
    })

    test.each(IP_PREFIXES)(
        "a number the user already prefixed with %s is normalised, not doubled",
        p => {
            const t = nanjing.dial(EXT.domestic, p + "01062345678")
            expect(outcome(t.decision)).toBe("dial domestic 1790901062345678")
            expect(t.decidedAfter).toBe(p.length + 11)
            expect(
                outcome(nanjing.decide(EXT.international, p + "0012125551234"))
            ).toBe("dial international 179090012125551234")
        }
    )

    test("the site's own prefix typed twice is still sent once", () => {
        expect(
            outcome(nanjing.decide(EXT.domestic, "179091790901062345678"))
        ).toBe("dial domestic 1790901062345678")
    })

    test("a local or mobile number typed with an IP prefix goes out without it", () => {
        expect(outcome(nanjing.decide(EXT.local, "1790913812345678"))).toBe(
            "dial mobile 13812345678"
        )
        expect(outcome(nanjing.decide(EXT.local, "1790984001234"))).toBe(
            "dial local 84001234"
        )
    })

    test("0 + own area code is a local call: no IP prefix, no domestic class needed", () => {
        const t = nanjing.dial(EXT.local, "02584001234")
        expect(outcome(t.decision)).toBe("dial local 02584001234")
        expect(t.decidedAfter).toBe(11)
    })

    test("another site prefix is used when configured, and none when empty", () => {
        const cm = makeSite({ ipPrefix: "17951" })
        expect(outcome(cm.decide(EXT.domestic, "1790901062345678"))).toBe(
            "dial domestic 1795101062345678"
        )
        const none = makeSite({ ipPrefix: "" })
        expect(outcome(none.decide(EXT.domestic, "1790901062345678"))).toBe(
            "dial domestic 01062345678"
        )
        expect(outcome(none.decide(EXT.international, "0012125551234"))).toBe(
            "dial international 0012125551234"
        )
    })

    test("typing an IP prefix never changes the decision, only strips it", () => {
        const r = new Rng(7)
        const nums: string[] = []
        for (let i = 0; i < 300; ++i) {
            const ac = r.pick(["10", "21", "755", "571", "931", "851"])
            nums.push("0" + ac + subscriber(r, subscriberLengths(ac)![1]))
            nums.push("0" + r.pick(words(MOBILE_BLOCKS)) + r.digits(8))
            nums.push(
                "00" +
                    r.pick(["1", "44", "852", "853", "886", "49"]) +
                    r.digits(9)
            )
        }
        for (const num of nums)
            for (const ext of ALL) {
                const plain = nanjing.decide(ext, num)
                const prefixed = nanjing.decide(ext, r.pick(IP_PREFIXES) + num)
                expect(outcome(prefixed)).toBe(outcome(plain))
            }
    })
})

describe("classes of service", () => {
    // One number per category, and who may call it.
    const NUMBERS: [string, string, string][] = [
        ["8001", "internal", "8001"],
        ["84001234", "local", "84001234"],
        ["13912345678", "mobile", "13912345678"],
        ["8001234567", "tollfree", "8001234567"],
        ["4001234567", "tollfree", "4001234567"],
        ["10086", "service", "10086"],
        ["01062345678", "domestic", "1790901062345678"],
        ["0012125551234", "international", "179090012125551234"],
    ]
    const MAY_CALL: Record<string, string[]> = {
        [EXT.internal]: ["internal"],
        [EXT.local]: ["internal", "local", "mobile", "tollfree", "service"],
        [EXT.domestic]: [
            "internal",
            "local",
            "mobile",
            "tollfree",
            "service",
            "domestic",
        ],
        [EXT.international]: [
            "internal",
            "local",
            "mobile",
            "tollfree",
            "service",
            "domestic",
            "international",
        ],
        [EXT.receiveOnly]: ["internal"],
        [EXT.suspended]: [],
    }
    const REFUSAL: Record<string, string> = {
        [EXT.internal]: "class",
        [EXT.local]: "class",
        [EXT.domestic]: "class",
        [EXT.international]: "class",
        [EXT.receiveOnly]: "receiveOnly",
        [EXT.suspended]: "suspended",
    }

    for (const ext of ALL)
        test(`handset ${ext}: ${MAY_CALL[ext].join(", ") || "emergency only"}`, () => {
            for (const [num, cat, dial] of NUMBERS) {
                const d = nanjing.decide(ext, num)
                const expected =
                    MAY_CALL[ext].indexOf(cat) >= 0
                        ? "dial " + cat + " " + dial
                        : "block " + cat + " " + REFUSAL[ext]
                expect(outcome(d), num).toBe(expected)
                expect(d.reason, num).toMatch(/\w+ \w+/)
            }
        })

    test("refusals say why, naming the handset", () => {
        expect(nanjing.decide(EXT.local, "01062345678").reason).toBe(
            "domestic calls need class domestic or higher; handset 8001 has class local"
        )
        expect(nanjing.decide(EXT.internal, "84001234").reason).toBe(
            "local calls need class local or higher; handset 8000 (Lobby) has class internal"
        )
        expect(nanjing.decide(EXT.receiveOnly, "84001234").reason).toBe(
            "handset 8004 (Front desk) is receive-only: only internal extensions and emergency numbers"
        )
        expect(nanjing.decide(EXT.suspended, "8001").reason).toBe(
            "handset 8005 is suspended (停机): only emergency numbers"
        )
    })

    test("a port without a handset record is internal-only", () => {
        const h = unprovisionedHandset("8999")
        expect(h.allow).toBe("internal")
        expect(outcome(decideDigits(nanjing.plan, h, "8001"))).toBe(
            "dial internal 8001"
        )
        expect(outcome(decideDigits(nanjing.plan, h, "84001234"))).toBe(
            "block local class"
        )
        expect(outcome(decideDigits(nanjing.plan, h, "120"))).toBe(
            "dial emergency 120"
        )
    })
})

describe("key by key: when the call is decided", () => {
    test("off-hook starts the first-digit timer from the policy", () => {
        const s = new DialSession(nanjing.plan, nanjing.handset(EXT.local))
        expect(s.start()).toEqual({ timer: "first", ms: 16000 })
    })

    test("a complete number goes out at its last key; before that the long timer runs", () => {
        const t = nanjing.dial(EXT.local, "84001234")
        expect(t.timers).toEqual([
            "long",
            "long",
            "long",
            "long",
            "long",
            "long",
            "long",
        ])
        expect(t.ms).toEqual([10000, 10000, 10000, 10000, 10000, 10000, 10000])
        expect(t.decidedAfter).toBe(8)
        expect(t.decision.decidedOn).toBe("digit")
    })

    test.each([
        ["01062345678", 11, "2-digit area code + 8"],
        ["075562345678", 12, "3-digit area code with 8-digit numbers"],
        ["09316234567", 11, "3-digit area code with 7-digit numbers"],
        ["13812345678", 11, "mobile"],
        ["10086", 5, "carrier service"],
        ["114", 3, "directory"],
        ["8001234567", 10, "toll free"],
        ["108001234567", 12, "10800 toll free"],
        ["0012125551234", 13, "NANP"],
        ["0085221234567", 13, "Hong Kong"],
    ])("%s completes at key %i (%s)", (num, n) => {
        const t = nanjing.dial(EXT.international, num)
        expect(t.decidedAfter).toBe(n)
        expect(t.decision.action).toBe("dial")
    })

    test("an extension that is also the start of a local number waits the short timer", () => {
        const t = nanjing.dial(EXT.international, "8001")
        expect(t.timers).toEqual(["long", "long", "long", "short"])
        expect(t.ms[3]).toBe(3000)
        expect(t.decidedAfter).toBe(0)
        expect(outcome(t.decision)).toBe("dial internal 8001")
        expect(t.decision.decidedOn).toBe("timeout")
        // ... and carrying on dials the local number.
        expect(
            outcome(nanjing.dial(EXT.international, "80012345").decision)
        ).toBe("dial local 80012345")
    })

    test("with an outside-line prefix, extensions need no timer", () => {
        const s = makeSite({ outsideLinePrefix: "9" })
        const t = s.dial(EXT.international, "8001")
        expect(t.decidedAfter).toBe(4)
        expect(outcome(t.decision)).toBe("dial internal 8001")
        // External calls must start with the prefix, which is stripped.
        expect(outcome(s.decide(EXT.international, "984001234"))).toBe(
            "dial local 84001234"
        )
        expect(outcome(s.decide(EXT.domestic, "901062345678"))).toBe(
            "dial domestic 1790901062345678"
        )
        expect(outcome(s.decide(EXT.international, "84001234"))).toBe(
            "block invalid invalid"
        )
        expect(outcome(s.decide(EXT.local, "916812345"))).toBe(
            "block premium premium"
        )
    })

    test.each(["433", "435", "754", "851"])(
        "area code %s: 7 digits wait the short timer, 8 go at once",
        ac => {
            const seven = nanjing.dial(EXT.domestic, "0" + ac + "2345678")
            expect(seven.timers[seven.timers.length - 1]).toBe("short")
            expect(seven.decidedAfter).toBe(0)
            expect(outcome(seven.decision)).toBe(
                "dial domestic 179090" + ac + "2345678"
            )
            const eight = nanjing.dial(EXT.domestic, "0" + ac + "23456789")
            expect(eight.decidedAfter).toBe(12)
            expect(outcome(eight.decision)).toBe(
                "dial domestic 179090" + ac + "23456789"
            )
        }
    )

    test("95xxx waits in case of 95xxxx; 95xxxx waits in case it is a local number", () => {
        const five = nanjing.dial(EXT.local, "95588")
        expect(five.timers).toEqual(["long", "long", "long", "long", "short"])
        expect(outcome(five.decision)).toBe("dial service 95588")
        expect(five.decision.decidedOn).toBe("timeout")
        const six = nanjing.dial(EXT.local, "955888")
        expect(six.timers[5]).toBe("short")
        expect(outcome(six.decision)).toBe("dial service 955888")
    })

    test("21800 toll free: a local 21800xxx waits, the 12-digit number completes", () => {
        const t = nanjing.dial(EXT.local, "218001234567")
        expect(t.timers[7]).toBe("short")
        expect(t.decidedAfter).toBe(12)
        expect(outcome(t.decision)).toBe("dial tollfree 218001234567")
        expect(outcome(nanjing.decide(EXT.local, "21800123"))).toBe(
            "dial local 21800123"
        )
    })

    test("nothing matched yet: the long timer, then refused as incomplete", () => {
        const t = nanjing.dial(EXT.international, "0755123")
        expect(t.timers.every(x => x === "long")).toBe(true)
        expect(outcome(t.decision)).toBe("block invalid invalid")
        expect(t.decision.decidedOn).toBe("timeout")
        expect(t.decision.reason).toBe("0755123 is incomplete")
    })

    test("a number that cannot become valid is refused at once", () => {
        const t = nanjing.dial(EXT.international, "0261234")
        expect(t.decidedAfter).toBe(3)
        expect(t.decision.reason).toBe(
            "026 is not a number in the numbering plan"
        )
        expect(nanjing.dial(EXT.international, "000").decidedAfter).toBe(3)
        expect(nanjing.dial(EXT.international, "2345").decidedAfter).toBe(0) // a local number may follow
    })

    test("# ends dialling on that key", () => {
        let t = nanjing.dial(EXT.international, "8001#")
        expect(t.decidedAfter).toBe(5)
        expect(outcome(t.decision)).toBe("dial internal 8001")
        expect(t.decision.decidedOn).toBe("digit")
        t = nanjing.dial(EXT.domestic, "04336234567#")
        expect(t.decidedAfter).toBe(12)
        expect(outcome(t.decision)).toBe("dial domestic 1790904336234567")
        t = nanjing.dial(EXT.international, "0755123#")
        expect(outcome(t.decision)).toBe("block invalid invalid")
        expect(t.decision.reason).toBe("0755123 is incomplete")
        expect(t.decision.decidedOn).toBe("digit")
        t = nanjing.dial(EXT.international, "#")
        expect(t.decision.reason).toBe("nothing was dialled")
    })

    test("* is not part of any number", () => {
        const t = nanjing.dial(EXT.international, "80*1")
        expect(t.decidedAfter).toBe(3)
        expect(outcome(t.decision)).toBe("block invalid invalid")
    })

    test("keys after the decision are ignored, and the dial string does not include them", () => {
        const s = new DialSession(nanjing.plan, nanjing.handset(EXT.domestic))
        s.start()
        let last
        for (const k of "0106234567899") last = s.press(k)
        expect(outcome(last!.decision!)).toBe("dial domestic 1790901062345678")
        expect(s.expire()).toBe(s.decision)
    })

    test("going silent before the first key", () => {
        const s = new DialSession(nanjing.plan, nanjing.handset(EXT.domestic))
        s.start()
        const d = s.expire()
        expect(outcome(d)).toBe("block invalid invalid")
        expect(d.reason).toBe("nothing was dialled")
        expect(d.decidedOn).toBe("timeout")
    })

    test("a new off-hook starts afresh after a decided call", () => {
        const s = new DialSession(nanjing.plan, nanjing.handset(EXT.domestic))
        s.start()
        for (const k of "16812345") s.press(k)
        expect(s.decision!.code).toBe("premium")
        s.start()
        expect(s.decision).toBeUndefined()
        for (const k of "84001234") s.press(k)
        expect(outcome(s.decision!)).toBe("dial local 84001234")
    })

    test("timer values come from site.timers", () => {
        const s = makeSite({
            timers: { firstDigitMs: 20000, interDigitMs: 8000, shortMs: 2000 },
        })
        const session = new DialSession(s.plan, s.handset(EXT.local))
        expect(session.start()).toEqual({ timer: "first", ms: 20000 })
        expect(session.press("8")).toEqual({ timer: "long", ms: 8000 })
        session.press("0")
        session.press("0")
        expect(session.press("1")).toEqual({ timer: "short", ms: 2000 })
        // Partly given: the rest are the defaults.
        const p = makeSite({ timers: { shortMs: 1500 } })
        expect(p.plan.timers).toEqual({
            firstDigitMs: 16000,
            interDigitMs: 10000,
            shortMs: 1500,
        })
    })
})

describe("site blocked and allowed lists", () => {
    const s = makeSite({ blocked: ["0755", "00", "13800138000"] })
    const a = makeSite({ allowed: ["0571", "00852", "1"] })

    test("a blocked prefix is refused the moment it is dialled, whatever the handset's class", () => {
        const t = s.dial(EXT.international, "075562345678")
        expect(t.decidedAfter).toBe(4)
        expect(outcome(t.decision)).toBe("block domestic siteBlocked")
        expect(t.decision.reason).toBe("0755 is on the site's blocked list")
        const i = s.dial(EXT.international, "0012125551234")
        expect(i.decidedAfter).toBe(2)
        expect(outcome(i.decision)).toBe("block international siteBlocked")
    })

    test("blocking one number leaves its neighbours alone", () => {
        expect(outcome(s.decide(EXT.local, "13800138000"))).toBe(
            "block mobile siteBlocked"
        )
        expect(outcome(s.decide(EXT.local, "13800138001"))).toBe(
            "dial mobile 13800138001"
        )
    })

    test("a blocked prefix still applies after an IP prefix or the outside-line prefix", () => {
        expect(outcome(s.decide(EXT.international, "17951075562345678"))).toBe(
            "block domestic siteBlocked"
        )
        const o = makeSite({ outsideLinePrefix: "9", blocked: ["0755"] })
        expect(outcome(o.decide(EXT.international, "9075562345678"))).toBe(
            "block domestic siteBlocked"
        )
    })

    test("emergency numbers are never blocked, even from a suspended handset", () => {
        expect(outcome(s.decide(EXT.suspended, "119"))).toBe(
            "dial emergency 119"
        )
    })

    test("an allowed prefix lifts the class, IP prefix included", () => {
        expect(outcome(a.decide(EXT.local, "057162345678"))).toBe(
            "dial domestic 17909057162345678"
        )
        expect(a.decide(EXT.local, "057162345678").reason).toBe(
            "domestic long distance via IP prefix 17909"
        )
        expect(outcome(a.decide(EXT.local, "051262345678"))).toBe(
            "block domestic class"
        )
        expect(outcome(a.decide(EXT.internal, "0085221234567"))).toBe(
            "dial international 179090085221234567"
        )
        expect(outcome(a.decide(EXT.internal, "0085321234567"))).toBe(
            "block international class"
        )
    })

    test("an allowed prefix does not help receive-only or suspended handsets", () => {
        expect(outcome(a.decide(EXT.receiveOnly, "057162345678"))).toBe(
            "block domestic receiveOnly"
        )
        expect(outcome(a.decide(EXT.suspended, "057162345678"))).toBe(
            "block domestic suspended"
        )
    })

    test("an allowed prefix never opens a premium line", () => {
        const p = makeSite({ allowed: ["168", "010"] })
        expect(outcome(p.decide(EXT.international, "16812345"))).toBe(
            "block premium premium"
        )
        expect(outcome(p.decide(EXT.international, "01016812345"))).toBe(
            "block premium premium"
        )
        expect(outcome(p.decide(EXT.internal, "01062345678"))).toBe(
            "dial domestic 1790901062345678"
        )
    })

    test('allowed "1" lifts numbers starting with 1, not whatever follows an IP prefix', () => {
        expect(outcome(a.decide(EXT.internal, "13912345678"))).toBe(
            "dial mobile 13912345678"
        )
        expect(a.decide(EXT.internal, "13912345678").reason).toBe(
            "mobile call (on the site's allowed list)"
        )
        expect(outcome(a.decide(EXT.internal, "17909013812345678"))).toBe(
            "block domestic class"
        )
        expect(outcome(a.decide(EXT.internal, "1790900441234567890"))).toBe(
            "block international class"
        )
    })
})

describe("every decision", () => {
    test("a refusal has a code and a reason; a dial has the digits to send", () => {
        const codes = [
            "premium",
            "class",
            "receiveOnly",
            "suspended",
            "invalid",
            "siteBlocked",
        ]
        const s = makeSite({ blocked: ["0755"], outsideLinePrefix: "" })
        const r = new Rng(77)
        const seen: Record<string, number> = {}
        for (let i = 0; i < 6000; ++i) {
            const keys =
                r.pick(["", "", "0", "00", "1", "16", "8", "17909", "0755"]) +
                r.digits(1 + r.int(13)) +
                (r.int(8) ? "" : "#")
            const d = s.decide(r.pick(ALL), keys)
            if (d.action === "block") {
                expect(codes, keys).toContain(d.code)
                expect(d.dial, keys).toBeUndefined()
                seen[d.code!] = (seen[d.code!] || 0) + 1
            } else {
                expect(d.action).toBe("dial")
                expect(d.code, keys).toBeUndefined()
                expect(d.dial, keys).toMatch(/^\d+$/)
            }
            expect(d.reason, keys).toMatch(/\S{2,}/)
            expect(["digit", "timeout"]).toContain(d.decidedOn)
        }
        // The random keys hit every kind of refusal.
        expect(Object.keys(seen).sort()).toEqual(codes.slice().sort())
    })
})

/** A valid number, what it is, what goes to the line, and whether a longer number could follow it. */
interface Valid {
    num: string
    cat: string
    dial: string
    /** A longer number starts with this one, so it completes by the short timer. */
    ambiguous: boolean
}

/** Digits after 00 of numbers starting 00 + `start`: the longest key of the country table that starts it wins. */
function intlRange(start: string): [number, number] {
    let lens = 715 // an unknown calling code: E.164's 7-15
    for (let k = 1; k <= COUNTRY_KEY_MAX && k <= start.length; ++k) {
        const l = countryLengths(start.slice(0, k))
        if (l >= 0) lens = l
    }
    return [Math.floor(lens / 100), lens % 100]
}

/** Generates valid numbers of every kind for the Nanjing site, dialled by an international handset. */
function validNumbers(count: number, seed: number): Valid[] {
    const r = new Rng(seed)
    const out: Valid[] = []
    const areaCodes = [
        ...words(AREA_CODES_8),
        ...words(AREA_CODES_7),
        ...words(AREA_CODES_7_OR_8),
    ]
    // Local numbers that also start a longer number (toll free, 950, 21800) wait.
    const waits = (n: string) => /^(800|400|950|21800)/.test(n)
    while (out.length < count) {
        switch (r.int(9)) {
            case 0: {
                const n = subscriber(r, 8)
                out.push({ num: n, cat: "local", dial: n, ambiguous: waits(n) })
                break
            }
            case 1: {
                const ac = r.pick(areaCodes)
                const lens = subscriberLengths(ac)!
                const len = lens[r.int(2)]
                const n = "0" + ac + r.from("23456789") + r.digits(len - 1)
                const cat = ac === "25" ? "local" : "domestic"
                // In a 7-or-8 area a 7-digit number could still grow.
                const ambiguous = len < lens[1]
                out.push({
                    num: n,
                    cat,
                    dial: cat === "domestic" ? "17909" + n : n,
                    ambiguous,
                })
                break
            }
            case 2: {
                const n = r.pick(words(MOBILE_BLOCKS)) + r.digits(8)
                out.push({ num: n, cat: "mobile", dial: n, ambiguous: false })
                break
            }
            case 3: {
                const n = "0" + r.pick(words(MOBILE_BLOCKS)) + r.digits(8)
                out.push({
                    num: n,
                    cat: "domestic",
                    dial: "17909" + n,
                    ambiguous: false,
                })
                break
            }
            case 4: {
                const n = r.pick(["800", "400", "10800", "21800"]) + r.digits(7)
                out.push({ num: n, cat: "tollfree", dial: n, ambiguous: false })
                break
            }
            case 5: {
                const n = r.pick([
                    "10000",
                    "10010",
                    "10086",
                    "114",
                    "117",
                    "12345",
                    "12315",
                    "12121",
                ])
                out.push({ num: n, cat: "service", dial: n, ambiguous: false })
                const sp = "95" + r.digits(3 + r.int(2))
                out.push({ num: sp, cat: "service", dial: sp, ambiguous: true })
                const sc = "950" + r.digits(7 + r.int(2))
                out.push({
                    num: sc,
                    cat: "service",
                    dial: sc,
                    ambiguous: sc.length === 10,
                })
                break
            }
            case 6:
            case 7: {
                // A calling code, two national digits, then as many more as
                // the called country's range allows (countryLengths.ts);
                // shorter than its longest, a longer number may follow.
                const start =
                    r.pick(
                        ["1", "7", "33", "44", "49", "61", "81", "82"].concat([
                            "852",
                            "853",
                            "886",
                            "65",
                            "234",
                            "971",
                        ])
                    ) +
                    r.from("23456789") +
                    r.digits(1)
                const [min, max] = intlRange(start)
                const len = min + r.int(max - min + 1)
                if (len < start.length) break
                const n = "00" + start + r.digits(len - start.length)
                out.push({
                    num: n,
                    cat: "international",
                    dial: "17909" + n,
                    ambiguous: len < max,
                })
                break
            }
            case 8: {
                const n = r.pick([
                    "8000",
                    "8001",
                    "8002",
                    "8003",
                    "8004",
                    "8005",
                ])
                out.push({ num: n, cat: "internal", dial: n, ambiguous: true })
                break
            }
        }
    }
    return out
}

describe("sends early (Polycom digit-map property)", () => {
    const numbers = validNumbers(5000, 99)

    test("no valid number is decided before its last key; each gets its own category and dial string", () => {
        const wrong: string[] = []
        for (const v of numbers) {
            const t = nanjing.dial(EXT.international, v.num)
            const got = outcome(t.decision)
            const want = "dial " + v.cat + " " + v.dial
            const when = v.ambiguous ? 0 : v.num.length
            if (got !== want || t.decidedAfter !== when)
                wrong.push(
                    `${v.num}: ${got} after ${t.decidedAfter} keys, want ${want} after ${when}`
                )
        }
        expect(wrong.slice(0, 20)).toEqual([])
        expect(numbers.length).toBeGreaterThanOrEqual(5000)
    })

    test("a number that waits is exactly one with a short timer at its last key", () => {
        for (const v of numbers) {
            const t = nanjing.dial(EXT.international, v.num)
            if (v.ambiguous)
                expect(t.timers[t.timers.length - 1], v.num).toBe("short")
        }
    })

    test("random keys: a call goes out before the user stops only when nothing longer is possible", () => {
        // Whenever a key press dials, the digits so far are a complete
        // number that no longer number starts with (or an emergency number).
        const r = new Rng(1234)
        let early = 0
        for (let i = 0; i < 5000; ++i) {
            const keys =
                r.pick(["", "0", "00", "1", "9", "17909"]) +
                r.digits(2 + r.int(14))
            const t = nanjing.dial(EXT.international, keys)
            if (!t.decidedAfter || t.decision.action !== "dial") continue
            const m = new Matcher(nanjing.plan)
            for (const k of keys.slice(0, t.decidedAfter)) m.push(k)
            expect(m.exact(), keys).toBeGreaterThanOrEqual(0)
            if (t.decision.category !== "emergency")
                expect(m.more(), keys).toBe(false)
            early++
        }
        expect(early).toBeGreaterThan(500)
    })
})

describe("cost per key does not depend on the policy's size", () => {
    function bigPolicy(n: number): DialPlan {
        const handsets = []
        for (let i = 0; i < n; ++i)
            handsets.push({
                extension: "" + (30000 + i),
                allow: ["internal", "local", "domestic"][i % 3],
            })
        return compileDialPlan(
            validPolicy(
                rawPolicy({ blocked: ["0755"], allowed: ["0571"] }, handsets)
            )
        )
    }
    const small = bigPolicy(10)
    const big = bigPolicy(5000)

    /** For every prefix of every number: the most rules open at once and trie lookups per key. */
    function work(plan: DialPlan, nums: string[]) {
        const m = new Matcher(plan)
        const child = vi.spyOn(plan.trie, "child")
        let maxOpen = 0
        let maxLookups = 0
        for (const num of nums) {
            m.reset()
            for (const k of num) {
                const before = child.mock.calls.length
                m.push(k)
                maxLookups = Math.max(
                    maxLookups,
                    child.mock.calls.length - before
                )
                maxOpen = Math.max(maxOpen, (m as any).openCount)
            }
        }
        child.mockRestore()
        return { maxOpen, maxLookups }
    }

    const nums = validNumbers(3000, 5).map(v => v.num)
    const r = new Rng(11)
    for (let i = 0; i < 2000; ++i)
        nums.push("2" + r.digits(5 + r.int(3)), r.digits(4 + r.int(12)))

    test("the 5000-handset plan has 500 times the extensions but the same rule lists", () => {
        expect(big.handsets.length).toBe(5000)
        expect(big.trie.count).toBeGreaterThan(small.trie.count + 5000)
        expect(big.lists.count).toBe(small.lists.count)
        expect(big.rules.count).toBe(small.rules.count)
    })

    test("per key: one trie lookup and a small bounded number of open rules, for both plans", () => {
        const a = work(small, nums)
        const b = work(big, nums)
        expect(a.maxLookups).toBe(1)
        expect(b.maxLookups).toBe(1)
        expect(b.maxOpen).toBeLessThanOrEqual(12)
        expect(b.maxOpen).toBe(a.maxOpen)
    })

    test("a trie node has at most 10 children, so a lookup walks at most 10 siblings", () => {
        const t = big.trie
        let worst = 0
        for (let n = 0; n < t.count; ++n) {
            let kids = 0
            for (let d = 0; d <= 9; ++d) if (t.child(n, d) >= 0) kids++
            worst = Math.max(worst, kids)
        }
        expect(worst).toBe(10)
    })

    test("both plans decide the same numbers the same way", () => {
        const hs = unprovisionedHandset("9999")
        hs.allow = "international"
        for (const num of nums.slice(0, 2000))
            expect(outcome(decideDigits(big, hs, num)), num).toBe(
                outcome(decideDigits(small, hs, num))
            )
    })
})

describe("a new plan in the old plan's trie buffer (a board replacing its policy)", () => {
    test("the buffer is taken when large enough, cleared, and the new plan decides as one built fresh", () => {
        const a = validPolicy(rawPolicy({ blocked: ["0755"] }))
        const b = validPolicy(rawPolicy({ allowed: ["0571"], ipPrefix: "" }))
        const old = new PlanCompiler(a).result()
        const spare = old.trie.buf
        const reused = new PlanCompiler(b, undefined, undefined, spare).result()
        const fresh = compileDialPlan(b)
        expect(reused.trie.buf).toBe(spare)
        expect(reused.trie.count).toBe(fresh.trie.count)
        const used = fresh.trie.count * 6
        expect(
            Buffer.from(reused.trie.buf.subarray(0, used)).equals(
                Buffer.from(fresh.trie.buf.subarray(0, used))
            )
        ).toBe(true)
        const hs = unprovisionedHandset("9999")
        hs.allow = "international"
        const r = new Rng(5)
        for (let i = 0; i < 500; ++i) {
            const num =
                r.pick(["0", "00", "1", "16", "8", "0755", "0571"]) +
                r.digits(1 + r.int(12))
            expect(outcome(decideDigits(reused, hs, num)), num).toBe(
                outcome(decideDigits(fresh, hs, num))
            )
        }
        // too small: not taken
        const tiny = Buffer.alloc(12)
        expect(
            new PlanCompiler(b, undefined, undefined, tiny).result().trie.buf
        ).not.toBe(tiny)
    })
})
