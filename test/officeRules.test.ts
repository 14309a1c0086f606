// Issue 12: authorization codes, working hours, call length and private
// calls on one handset port (fake clock), their validation, and the code
// entry the CLI writes.
import { spawnSync } from "node:child_process"
import { createHmac } from "node:crypto"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, test } from "vitest"
import { compileDialPlan } from "../devs/engine/dialPlan"
import { Decision } from "../devs/engine/dialSession"
import { CallCounters } from "../devs/phone/counters"
import {
    CHINA_RING,
    CODE_LOCK_MS,
    CODE_PROMPT_MS,
    HandsetPort,
    PortCall,
    PortPolicy,
    RuleEvent,
    TONE_BUSY,
    TONE_CALL_WARNING,
    TONE_OFF,
    TONE_PROMPT,
    TONE_RINGBACK,
    TONE_UNOBTAINABLE,
} from "../devs/phone/handsetPort"
import { cadenceOf } from "../devs/phone/tones"
import { checkOfficeRules, hoursAt } from "../devs/policy/officeRules"
import { Policy } from "../devs/policy/types"
import { validatePolicy } from "../devs/policy/validate"
import {
    codeHmac,
    codesForBoard,
    findCode,
    openCode,
    sealCode,
} from "../src/fleet/authCodes"
import { boardKey } from "../src/fleet/sign"

const KEY = Buffer.from("11".repeat(32), "hex")
const mac = (code: string) =>
    createHmac("sha256", KEY).update(code).digest("hex")

function rawPolicy(site: any = {}, extra: any = {}): any {
    return {
        version: 1,
        site: { name: "HQ", areaCode: "025", ipPrefix: "17909", ...site },
        departments: [{ id: "admin", name: "", floor: 1, x: 0, y: 0 }],
        handsets: [
            { extension: "8001", department: "admin", allow: "local" },
            { extension: "8002", department: "admin", allow: "domestic" },
        ],
        ...extra,
    }
}

const CODES = [
    { owner: "王经理", allow: "domestic", hmac: mac("482916") },
    { owner: "李主任", allow: "international", hmac: mac("730055") },
]
/** The same codes as the admin's policy file holds them (dialguard policy code). */
const SEALED = [
    { owner: "王经理", allow: "domestic", sealed: sealCode(KEY, "482916") },
    {
        owner: "李主任",
        allow: "international",
        sealed: sealCode(KEY, "730055"),
    },
]

function host(raw: any): Policy {
    const v = validatePolicy(raw, checkOfficeRules)
    if (!v.policy) throw new Error(v.errors.join("\n"))
    return v.policy
}

/** 2026-12-01 (a Tuesday) at hh:mm Beijing time, in Unix seconds. */
function tuesday(hh: number, mm = 0): number {
    return Date.UTC(2026, 11, 1, hh - 8, mm) / 1000
}

class Rig {
    now = 0
    tones: number[] = []
    dialled: string[] = []
    hungUp = 0
    logs: string[] = []
    rules: RuleEvent[] = []
    blocked: Decision[] = []
    calls: { d?: Decision; seconds: number }[] = []
    records: PortCall[] = []
    /** Unix seconds the board's clock says (0 = unknown). */
    unix = 0
    port: HandsetPort

    constructor(policy: Policy, ext = "8001", secondMs?: number) {
        const self = this
        this.port = new HandsetPort(
            ext,
            {
                tone: t => self.tones.push(t),
                ring: () => {},
                dial: n => self.dialled.push(n),
                answer: () => {},
                hangUp: () => self.hungUp++,
                redirect: () => {},
                log: l => self.logs.push(l),
            },
            {
                outgoing: (_e, _c, _n, seconds, d) =>
                    self.calls.push({ d, seconds }),
                blocked: (_e, d) => self.blocked.push(d),
                incoming: () => {},
                callEnded: () => {},
                rule: (_e, what) => self.rules.push(what),
                call: (_e, c) => self.records.push(c),
            },
            CHINA_RING,
            secondMs
        )
        const plan = compileDialPlan(policy)
        const handset = plan.handsets.find(h => h.extension === ext)!
        const codes = policy.authCodes ?? []
        const pp: PortPolicy = {
            plan,
            handset,
            ringsBeforeForward: 3,
            forwardChain: () => [],
            site: policy.site,
        }
        if (codes.length)
            pp.checkCode = code => codes.find(c => c.hmac === mac(code))
        const hours = policy.site.hours
        if (hours) pp.hoursAt = () => hoursAt(hours, self.unix)
        this.port.setPolicy(pp)
    }

    tone() {
        return this.tones[this.tones.length - 1]
    }
    at(ms: number) {
        this.now = ms
        this.port.tick(ms)
    }
    keys(s: string) {
        for (const k of s) {
            this.now += 100
            this.port.key(k, this.now)
        }
    }
    /** Off hook and the keys; then silence until the number is decided. */
    dial(s: string) {
        this.port.offHook(this.now)
        this.keys(s)
        if (this.port.state === "dialling") this.at(this.now + 20000)
    }
    hangUp() {
        this.now += 100
        this.port.onHook(this.now)
    }
}

describe("authorization codes (rules (一)4, (二)3.2.8)", () => {
    const policy = host(rawPolicy({}, { authCodes: CODES }))

    test("a code lifts a local handset to domestic for this call, the owner recorded", () => {
        const r = new Rig(policy)
        r.dial("01062345678")
        // refused by the class: the prompt tone, not unobtainable
        expect(r.tone()).toBe(TONE_PROMPT)
        expect(r.port.state).toBe("code")
        expect(r.blocked).toEqual([])
        r.keys("482916#")
        expect(r.dialled).toEqual(["1790901062345678"])
        expect(r.tone()).toBe(TONE_RINGBACK)
        expect(r.rules).toEqual(["codeCalls"])
        r.port.remoteAnswered(r.now)
        r.now += 65000
        r.hangUp()
        expect(r.calls[0].seconds).toBe(65)
        expect(r.calls[0].d!.codeOwner).toBe("王经理")
        expect(r.records[0].owner).toBe("王经理")
        // the next call has the handset's own class again
        r.dial("01062345678")
        expect(r.tone()).toBe(TONE_PROMPT)
        r.at(r.now + CODE_PROMPT_MS)
        expect(r.tone()).toBe(TONE_UNOBTAINABLE)
        expect(r.blocked.map(d => d.code)).toEqual(["class"])
        expect(r.dialled.length).toBe(1)
    })

    test("a code of a class too low for the number leaves the refusal", () => {
        const p = host(
            rawPolicy(
                {},
                {
                    authCodes: [
                        { owner: "A", allow: "domestic", hmac: mac("1111") },
                    ],
                }
            )
        )
        const r = new Rig(p)
        r.dial("0085212345678")
        r.keys("1111#")
        expect(r.tone()).toBe(TONE_UNOBTAINABLE)
        expect(r.dialled).toEqual([])
        expect(r.blocked[0].code).toBe("class")
    })

    test("five wrong codes lock code entry for 10 minutes; counted and logged", () => {
        const r = new Rig(policy)
        for (let i = 0; i < 5; ++i) {
            r.dial("01062345678")
            expect(r.tone()).toBe(TONE_PROMPT)
            r.keys("000000#")
            expect(r.tone()).toBe(TONE_UNOBTAINABLE)
            r.hangUp()
        }
        expect(r.rules.filter(e => e === "codeWrong").length).toBe(5)
        expect(r.rules.filter(e => e === "codeLockouts").length).toBe(1)
        expect(r.logs.join("\n")).toContain("code entry locked for 10 minutes")
        // locked: even the right code is not asked for
        r.dial("01062345678")
        expect(r.tone()).toBe(TONE_UNOBTAINABLE)
        r.hangUp()
        r.now += CODE_LOCK_MS
        r.dial("01062345678")
        expect(r.tone()).toBe(TONE_PROMPT)
        r.keys("482916#")
        expect(r.dialled).toEqual(["1790901062345678"])
    })

    test("no codes in the policy: a class refusal is unobtainable at once", () => {
        const r = new Rig(host(rawPolicy()))
        r.dial("01062345678")
        expect(r.tone()).toBe(TONE_UNOBTAINABLE)
        expect(r.port.state).toBe("waitOnHook")
    })

    test("premium and suspended refusals are never lifted", () => {
        const r = new Rig(policy)
        r.dial("16812345")
        expect(r.tone()).toBe(TONE_UNOBTAINABLE)
    })

    test("the admin's entry is sealed; each board gets the HMAC with its own key", () => {
        const sealed = sealCode(KEY, "482916")
        expect(sealed).not.toContain("482916")
        // a fresh IV each time: two entries of one code look different
        expect(sealCode(KEY, "482916")).not.toBe(sealed)
        expect(openCode(KEY, sealed)).toBe("482916")
        expect(openCode(Buffer.alloc(32), sealed)).toBeUndefined()
        expect(openCode(KEY, sealed.slice(0, -4) + "AAA=")).toBeUndefined()
        const admin = [{ owner: "王经理", allow: "domestic" as const, sealed }]
        const a = codesForBoard(admin, KEY, "desk-a")
        const b = codesForBoard(admin, KEY, "desk-b")
        expect(a[0]).toStrictEqual({
            owner: "王经理",
            allow: "domestic",
            hmac: codeHmac(boardKey(KEY, "desk-a"), "482916"),
        })
        // board B's HMAC is not board A's: one board's share checks
        // nothing on another, and neither is a plain hash of the code
        expect(b[0].hmac).not.toBe(a[0].hmac)
        expect(a[0].hmac).not.toBe(
            createHmac("sha256", Buffer.alloc(0)).update("482916").digest("hex")
        )
        expect(findCode(admin, KEY, "482916")?.owner).toBe("王经理")
        expect(findCode(admin, KEY, "482917")).toBeUndefined()
        // an entry of another key, or an old site-key HMAC: a clear error
        expect(() =>
            codesForBoard(
                [
                    {
                        owner: "A",
                        allow: "local",
                        sealed: sealCode(Buffer.alloc(32), "1"),
                    },
                ],
                KEY,
                "desk-a"
            )
        ).toThrow("authCodes[0] (A): not sealed with this site key")
        expect(() =>
            codesForBoard(
                [{ owner: "A", allow: "local", hmac: mac("1") }],
                KEY,
                "desk-a"
            )
        ).toThrow('an "hmac" entry of an older dialguard')
    })
})

describe("working hours (rule (二)5.1.1)", () => {
    const hours = {
        from: "08:00",
        to: "18:00",
        breaks: [{ from: "12:00", to: "13:00" }],
    }

    test("hoursAt: days, from, to, breaks; unknown before the clock is set", () => {
        const h = host(rawPolicy({ hours })).site.hours!
        expect(hoursAt(h, tuesday(9))).toBe("in")
        expect(hoursAt(h, tuesday(7, 59))).toBe("out")
        expect(hoursAt(h, tuesday(18))).toBe("out")
        expect(hoursAt(h, tuesday(12, 30))).toBe("out")
        expect(hoursAt(h, tuesday(13))).toBe("in")
        // Saturday 2026-12-05
        expect(hoursAt(h, tuesday(10) + 4 * 86400)).toBe("out")
        expect(hoursAt(h, 0)).toBe("unknown")
    })

    test("outside: refuse; emergency and internal calls still go", () => {
        const r = new Rig(
            host(rawPolicy({ hours: { ...hours, outside: "refuse" } })),
            "8002"
        )
        r.unix = tuesday(19)
        r.dial("52345678")
        expect(r.tone()).toBe(TONE_UNOBTAINABLE)
        expect(r.blocked[0].code).toBe("hours")
        expect(r.rules).toEqual(["hoursRefused"])
        r.hangUp()
        r.dial("110")
        expect(r.dialled).toEqual(["110"])
        r.hangUp()
        r.dial("8001")
        expect(r.dialled).toEqual(["110", "8001"])
        r.hangUp()
        r.unix = tuesday(10)
        r.dial("52345678")
        expect(r.dialled).toEqual(["110", "8001", "52345678"])
    })

    test("outside: code (the default); a code lets the call out, counted after hours", () => {
        const r = new Rig(
            host(rawPolicy({ hours }, { authCodes: CODES })),
            "8002"
        )
        r.unix = tuesday(12, 15)
        r.dial("52345678")
        expect(r.tone()).toBe(TONE_PROMPT)
        r.keys("730055#")
        expect(r.dialled).toEqual(["52345678"])
        expect(r.rules).toEqual(["codeCalls", "afterHours"])
    })

    test("outside: count; only counted", () => {
        const r = new Rig(
            host(rawPolicy({ hours: { ...hours, outside: "count" } })),
            "8002"
        )
        r.unix = tuesday(20)
        r.dial("52345678")
        expect(r.dialled).toEqual(["52345678"])
        expect(r.rules).toEqual(["afterHours"])
    })

    test("before the board knows the time: allowed and counted as hoursUnknown", () => {
        const r = new Rig(
            host(rawPolicy({ hours: { ...hours, outside: "refuse" } })),
            "8002"
        )
        r.unix = 0
        r.dial("52345678")
        expect(r.dialled).toEqual(["52345678"])
        expect(r.rules).toEqual(["hoursUnknown"])
    })
})

describe("call length (rules (二)5.1.1, (一)2)", () => {
    test("a warning beep at callWarningSeconds, once, on the shortened clock", () => {
        const r = new Rig(
            host(rawPolicy({ callWarningSeconds: { local: 300 } })),
            "8001",
            10
        )
        r.dial("52345678")
        r.port.remoteAnswered(r.now)
        const t0 = r.now
        r.at(t0 + 2990)
        expect(r.tone()).toBe(TONE_OFF)
        r.at(t0 + 3000)
        expect(r.tone()).toBe(TONE_CALL_WARNING)
        r.at(t0 + 4000)
        expect(r.tone()).toBe(TONE_OFF)
        r.at(t0 + 60000)
        expect(r.rules).toEqual(["warned"])
        expect(r.hungUp).toBe(0)
    })

    test("a hard limit: final warning 10 s before, then the call ends, counted", () => {
        const r = new Rig(
            host(
                rawPolicy({
                    callWarningSeconds: { domestic: 300 },
                    callLimitSeconds: { domestic: 600 },
                })
            ),
            "8002"
        )
        r.dial("01062345678")
        r.port.remoteAnswered(r.now)
        const t0 = r.now
        r.at(t0 + 300000)
        expect(r.tone()).toBe(TONE_CALL_WARNING)
        r.at(t0 + 590000)
        expect(r.tone()).toBe(TONE_CALL_WARNING)
        r.at(t0 + 599000)
        expect(r.hungUp).toBe(0)
        r.at(t0 + 600000)
        expect(r.hungUp).toBe(1)
        expect(r.tone()).toBe(TONE_BUSY)
        expect(r.rules).toEqual(["warned", "cut"])
        expect(r.calls[0].seconds).toBe(600)
    })

    test("other categories are not timed", () => {
        const r = new Rig(
            host(rawPolicy({ callWarningSeconds: { domestic: 60 } }))
        )
        r.dial("52345678")
        r.port.remoteAnswered(r.now)
        r.at(r.now + 3600000)
        expect(r.rules).toEqual([])
    })
})

describe("private calls (rules (二)3.2.5, 3.7.2)", () => {
    const policy = host(
        rawPolicy({ privatePrefix: "*9" }, { authCodes: CODES })
    )

    test("*9 before the number: dialled without it, within the class, marked private", () => {
        const r = new Rig(policy)
        r.dial("*952345678")
        expect(r.dialled).toEqual(["52345678"])
        r.port.remoteAnswered(r.now)
        r.now += 30000
        r.hangUp()
        expect(r.calls[0].d!.private).toBe(true)
        expect(r.records[0].private).toBe(true)
    })

    test("the class still applies; a code keeps the call private", () => {
        const r = new Rig(policy)
        r.dial("*901062345678")
        expect(r.tone()).toBe(TONE_PROMPT)
        r.keys("482916#")
        expect(r.dialled).toEqual(["1790901062345678"])
        r.port.remoteAnswered(r.now)
        r.hangUp()
        expect(r.calls[0].d!.private).toBe(true)
        expect(r.calls[0].d!.codeOwner).toBe("王经理")
    })

    test("a number not after the prefix is not private; * alone is dialled on", () => {
        const r = new Rig(policy)
        r.dial("52345678")
        r.port.remoteAnswered(r.now)
        r.hangUp()
        expect(r.calls[0].d!.private).toBeUndefined()
        r.dial("*852345678")
        expect(r.blocked[0].code).toBe("invalid")
    })
})

describe("counters: the rules group", () => {
    test("counted per handset, rows widen only when used, survive JSON", () => {
        const c = new CallCounters()
        c.recordCall("8001", "2026-12", "local", 10)
        const plain = JSON.stringify(c.toJSON())
        c.recordRule("8001", "2026-12", "codeWrong", 1)
        c.recordRule("8001", "2026-12", "privateSeconds", 42)
        expect(JSON.stringify(c.toJSON()).length).toBeGreaterThan(plain.length)
        const back = CallCounters.fromJSON(
            JSON.parse(JSON.stringify(c.toJSON()))
        )
        const s = back.snapshot("8001", "2026-12")
        expect(s.rules.codeWrong).toBe(1)
        expect(s.rules.privateSeconds).toBe(42)
        expect(s.calls.local).toBe(1)
        expect(
            CallCounters.fromJSON(JSON.parse(plain)).snapshot("8001", "2026-12")
                .rules.codeWrong
        ).toBe(0)
    })
})

describe("validation", () => {
    const errors = (raw: any) => validatePolicy(raw, checkOfficeRules).errors

    test("everything off by default", () => {
        const p = host(rawPolicy())
        expect(p.site.hours).toBeUndefined()
        expect(p.authCodes).toBeUndefined()
        expect(p.site.privatePrefix).toBeUndefined()
    })

    test("bad office rules are refused with the form expected", () => {
        expect(
            errors(rawPolicy({ hours: { from: "8:00", to: "18:00" } }))[0]
        ).toMatch(/^site.hours: must be/)
        expect(
            errors(rawPolicy({ hours: { from: "18:00", to: "08:00" } }))[0]
        ).toMatch(/^site.hours/)
        expect(
            errors(
                rawPolicy({ hours: { from: "08:00", to: "18:00", days: [0] } })
            )[0]
        ).toMatch(/^site.hours/)
        expect(
            errors(
                rawPolicy({
                    hours: { from: "08:00", to: "18:00", outside: "allow" },
                })
            )[0]
        ).toMatch(/^site.hours/)
        expect(
            errors(rawPolicy({ callWarningSeconds: { longdistance: 300 } }))[0]
        ).toMatch(/^site.callWarningSeconds/)
        expect(
            errors(rawPolicy({ callLimitSeconds: { local: 5 } }))[0]
        ).toMatch(/^site.callLimitSeconds/)
        expect(errors(rawPolicy({ privatePrefix: "9#" }))[0]).toMatch(
            /^site.privatePrefix/
        )
        expect(
            errors(
                rawPolicy(
                    {},
                    {
                        authCodes: [
                            { owner: "A", allow: "local", code: "1234" },
                        ],
                    }
                )
            )[0]
        ).toMatch(/never in clear/)
        expect(
            errors(
                rawPolicy(
                    {},
                    {
                        authCodes: [
                            { owner: "A", allow: "internal", hmac: mac("1") },
                        ],
                    }
                )
            )[0]
        ).toMatch(/^authCodes\[0\]/)
        expect(
            errors(rawPolicy({}, { authCodes: [CODES[0], CODES[0]] }))
        ).toEqual(["authCodes[1]: duplicate code"])
    })

    test("the board's guard refuses what would break the port", () => {
        expect(
            validatePolicy(rawPolicy({ hours: { days: 1 } })).errors[0]
        ).toMatch(/^site: malformed office rules/)
        expect(
            validatePolicy(rawPolicy({}, { authCodes: {} })).errors[0]
        ).toMatch(/^site: malformed/)
    })

    test("the new tones have cadences (Chinese special dial tone, call-waiting beep)", () => {
        expect(cadenceOf(TONE_PROMPT)).toEqual({ hz: 450, pattern: [400, 40] })
        expect(cadenceOf(TONE_CALL_WARNING)).toEqual({
            hz: 450,
            pattern: [400, 4000],
        })
    })
})

describe("the CLI: dialguard policy code, decide with office rules", () => {
    const ROOT = fileURLToPath(new URL("..", import.meta.url))
    const TMP = mkdtempSync(join(tmpdir(), "dialguard-rules-"))
    const KEYFILE = join(TMP, "site.key")
    writeFileSync(KEYFILE, "11".repeat(32) + "\n", { mode: 0o600 })
    const cli = (args: string[], input = "") =>
        spawnSync(
            process.execPath,
            [join(ROOT, "bin", "dialguard.mjs"), ...args],
            {
                cwd: ROOT,
                input,
                encoding: "utf8",
            }
        )

    test("policy code: the entry is sealed, never the code; --add-to writes a valid policy", () => {
        const r = cli(
            [
                "policy",
                "code",
                "--key",
                KEYFILE,
                "--owner",
                "王经理",
                "--allow",
                "domestic",
            ],
            "482916\n"
        )
        expect(r.status).toBe(0)
        const entry = JSON.parse(r.stdout)
        expect(entry).toMatchObject({ owner: "王经理", allow: "domestic" })
        expect(openCode(KEY, entry.sealed)).toBe("482916")
        expect(r.stdout).not.toContain("482916")
        const file = join(TMP, "p.json")
        writeFileSync(file, JSON.stringify(rawPolicy()))
        const a = cli(
            [
                "policy",
                "code",
                "--key",
                KEYFILE,
                "--owner",
                "李主任",
                "--allow",
                "international",
                "--add-to",
                file,
            ],
            "730055\n"
        )
        expect(a.status).toBe(0)
        const codes = () => JSON.parse(readFileSync(file, "utf8")).authCodes
        expect(codes().length).toBe(1)
        expect(codes()[0].owner).toBe("李主任")
        expect(openCode(KEY, codes()[0].sealed)).toBe("730055")
        // the same code again replaces its entry
        const again = cli(
            [
                "policy",
                "code",
                "--key",
                KEYFILE,
                "--owner",
                "王经理",
                "--allow",
                "domestic",
                "--add-to",
                file,
            ],
            "730055\n"
        )
        expect(again.status).toBe(0)
        expect(codes().map((c: any) => c.owner)).toEqual(["王经理"])
        const bad = cli(
            [
                "policy",
                "code",
                "--key",
                KEYFILE,
                "--owner",
                "X",
                "--allow",
                "local",
            ],
            "12\n"
        )
        expect(bad.status).toBe(1)
        expect(bad.stderr).toContain("4-12 digits")
        expect(bad.stderr).not.toContain("    at ")
    })

    test("decide: the prompt, a code lifting the call with its owner, hours, private", () => {
        const file = join(TMP, "rules.json")
        writeFileSync(
            file,
            JSON.stringify(
                rawPolicy(
                    {
                        privatePrefix: "*9",
                        hours: { from: "08:00", to: "18:00" },
                    },
                    { authCodes: SEALED }
                )
            )
        )
        const d = (...a: string[]) =>
            cli(["decide", "--policy", file, "--json", ...a])
        const at = ["--at", "2026-12-01 10:00"]
        const refused = JSON.parse(
            d("--handset", "8001", "01062345678", ...at).stdout
        )
        expect(refused).toMatchObject({
            action: "block",
            code: "class",
            codePrompt: true,
        })
        const lifted = JSON.parse(
            d(
                "--handset",
                "8001",
                "01062345678",
                ...at,
                "--code",
                "482916",
                "--key",
                KEYFILE
            ).stdout
        )
        expect(lifted).toMatchObject({
            action: "dial",
            dial: "1790901062345678",
            codeOwner: "王经理",
        })
        const night = JSON.parse(
            d("--handset", "8002", "52345678", "--at", "2026-12-01 19:30")
                .stdout
        )
        expect(night).toMatchObject({ action: "block", code: "hours" })
        const priv = JSON.parse(
            d("--handset", "8001", "*952345678", ...at).stdout
        )
        expect(priv).toMatchObject({
            action: "dial",
            dial: "52345678",
            private: true,
        })
        const noKey = d("--handset", "8001", "01062345678", "--code", "482916")
        expect(noKey.status).toBe(2)
        expect(noKey.stderr).toContain("--code needs --key")
    })
})

describe("report: office rules per handset, calls per code owner", () => {
    test("rules counted per handset; register calls summed per code owner", async () => {
        const { rulesSection, renderRules, rulesCsv } =
            await import("../src/fleet/reportRules")
        const row = (ext: string, rules?: Record<string, number>) =>
            ({
                extension: ext,
                name: ext === "8001" ? "王芳" : "",
                department: "admin",
                departmentName: "人事行政部",
                rules,
            }) as any
        const call = (
            owner: string | undefined,
            seconds: number,
            priv = false
        ) => ({ owner, seconds, private: priv || undefined }) as any
        const s = rulesSection(
            [
                row("8001", {
                    codeCalls: 2,
                    codeWrong: 5,
                    codeLockouts: 1,
                    privateCalls: 1,
                    privateSeconds: 125,
                }),
                row("8002"),
            ],
            [
                call("王经理", 60),
                call("王经理", 30),
                call("李主任", 10),
                call(undefined, 99, true),
            ]
        )
        expect(s.handsets.map(h => h.extension)).toEqual(["8001"])
        expect(s.owners).toEqual([
            { owner: "王经理", calls: 2, seconds: 90 },
            { owner: "李主任", calls: 1, seconds: 10 },
        ])
        expect(s.privateCalls).toBe(1)
        const text = renderRules(s).join("\n")
        expect(text).toContain("Calls per authorization code owner")
        expect(text).toMatch(/王经理\s+2\s+1:30/)
        expect(text).toContain("2:05") // private time
        expect(rulesCsv(s)).toContain(
            "8001,王芳,人事行政部,2,5,1,0,0,0,0,0,1,125"
        )
        // one language per file
        expect(rulesCsv(s).split("\r\n")[0]).toBe(
            "\uFEFF分机,名称,部门,授权码通话,授权码错误,授权码锁定,非工作时间拦截,非工作时间外拨,时间未知,超时提醒,超时挂断,私人电话,私人通话秒数"
        )
        expect(rulesCsv(s, "en").split("\r\n")[0]).toBe(
            "\uFEFFhandset,name,department,codeCalls,codeWrong,codeLockouts,hoursRefused,afterHours,hoursUnknown,warned,cut,privateCalls,privateSeconds"
        )
    })
})
