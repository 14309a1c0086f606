// Scenario files: what the simulated people, lines and the outside world
// do, and what the firmware is expected to do about it. JSON or YAML; the
// format is documented in sim/README.md. parseScenario() checks every step
// and says precisely what is wrong (file, step number, field).

import { dirname, resolve } from "node:path"
import { loadJsonOrYaml } from "./docFile"
import { SimError } from "../src/board/errors"
import { SiteSpec, checkSite, parseSiteFile } from "./site"
import type { OutsideBehaviour } from "./exchange"
import type { RingCadence } from "./session"

export { loadJsonOrYaml }

export type Step =
    | { offHook: string }
    | { onHook: string }
    | { press: string; digits: string; gapMs?: number }
    | { dial: string; digits: string; gapMs?: number }
    | { wait: number }
    | { incoming: { from: string; to: string } }
    | { waitRings: { port: string; count: number; timeoutMs?: number } }
    | { answer: string }
    | { hangUp: string }
    | { restart: true | "power" | "admin"; board?: string }
    | { outside: OutsideBehaviour }
    | { uploadPolicy: unknown; expectOk?: boolean; board?: string }
    | { brokerLink: "down" | "up"; board?: string }
    | { note: string }
    | Expectation

export type Expectation =
    | { expectDialled: { port: string; number: string }; timeoutMs?: number }
    | { expectNotDialled: { port: string; number?: string; forMs?: number } }
    | { expectRefused: { port: string; code?: string }; timeoutMs?: number }
    | { expectTone: { port: string; tone: string }; timeoutMs?: number }
    | {
          expectForwarded: {
              from: string
              to: string
              afterRings?: number
              divertedFrom?: string
          }
          timeoutMs?: number
      }
    | { expectNotForwarded: { port: string; forMs: number } }
    | { expectAnswered: { port: string }; timeoutMs?: number }
    | {
          expectCounter: {
              name: string
              /** The board to read (default: the one serving the name's extension). */
              board?: string
              equals?: number
              atLeast?: number
              atMost?: number
          }
          timeoutMs?: number
      }
    | { expectLog: { contains: string; board?: string }; timeoutMs?: number }
    | { expectPolicyVersion: number; timeoutMs?: number; board?: string }
    | {
          expectConsole: { contains: string; board?: string }
          timeoutMs?: number
      }

export interface Scenario {
    name: string
    file: string
    description?: string
    rule?: string
    /** The policy object to upload, or undefined for none (fail closed). */
    policy?: unknown
    policyFile?: string
    /** A site scenario: its boards (else one board serving `ports`). */
    site?: SiteSpec
    /** Every simulated extension (a site's: of all its boards). */
    ports: string[]
    ring?: RingCadence
    outside?: OutsideBehaviour
    /** ms since 1970 UTC. */
    startTime?: number
    /** Default wait of an expectation, ms. */
    timeoutMs: number
    firmware?: string
    steps: Step[]
}

/** Steps: the name of the key that identifies each, and its other allowed keys. */
const STEP_KEYS: Record<string, string[]> = {
    offHook: [],
    onHook: [],
    press: ["digits", "gapMs"],
    dial: ["digits", "gapMs"],
    wait: [],
    incoming: [],
    waitRings: [],
    answer: [],
    hangUp: [],
    restart: ["board"],
    outside: [],
    uploadPolicy: ["expectOk", "board"],
    brokerLink: ["board"],
    note: [],
    expectDialled: ["timeoutMs"],
    expectNotDialled: [],
    expectRefused: ["timeoutMs"],
    expectTone: ["timeoutMs"],
    expectForwarded: ["timeoutMs"],
    expectNotForwarded: [],
    expectAnswered: ["timeoutMs"],
    expectCounter: ["timeoutMs"],
    expectLog: ["timeoutMs"],
    expectPolicyVersion: ["timeoutMs", "board"],
    expectConsole: ["timeoutMs"],
}

export const TONES = [
    "Off",
    "Dial",
    "Ringback",
    "Busy",
    "Unobtainable",
    "Congestion",
    "Warning",
]

const TOP_KEYS = [
    "name",
    "description",
    "rule",
    "policy",
    "site",
    "ports",
    "ring",
    "outside",
    "startTime",
    "timeoutMs",
    "firmware",
    "steps",
]

/** The kind of a step: its identifying key. */
export function stepKind(step: Step): string {
    return Object.keys(step).find(k => k in STEP_KEYS)!
}

export function isExpectation(step: Step): step is Expectation {
    return stepKind(step).startsWith("expect")
}

class Checker {
    constructor(private file: string) {}

    fail(where: string, msg: string): never {
        throw new SimError(`${this.file}: ${where}: ${msg}`)
    }

    obj(where: string, v: unknown): Record<string, unknown> {
        if (typeof v !== "object" || v === null || Array.isArray(v))
            this.fail(where, `expected an object, got ${JSON.stringify(v)}`)
        return v as Record<string, unknown>
    }

    str(where: string, v: unknown): string {
        if (typeof v === "number")
            this.fail(
                where,
                `expected a string, got the number ${v}: quote numbers ("${v}"; in YAML a leading 0 would be lost)`
            )
        if (typeof v !== "string" || v === "")
            this.fail(
                where,
                `expected a non-empty string, got ${JSON.stringify(v)}`
            )
        return v
    }

    num(where: string, v: unknown, min = 0): number {
        if (typeof v !== "number" || !Number.isFinite(v) || v < min)
            this.fail(
                where,
                `expected a number ≥ ${min}, got ${JSON.stringify(v)}`
            )
        return v
    }

    keys(
        where: string,
        o: Record<string, unknown>,
        allowed: string[],
        required: string[] = []
    ) {
        for (const k of Object.keys(o))
            if (!allowed.includes(k))
                this.fail(
                    where,
                    `unknown field "${k}" (allowed: ${allowed.join(", ")})`
                )
        for (const k of required)
            if (o[k] === undefined) this.fail(where, `missing "${k}"`)
    }
}

function parseOutside(c: Checker, where: string, v: unknown): OutsideBehaviour {
    const o = c.obj(where, v)
    const allowed = [
        "answerAfterMs",
        "busy",
        "unreachable",
        "noAnswer",
        "failAfterMs",
        "hangUpAfterMs",
    ]
    c.keys(where, o, allowed)
    for (const k of ["answerAfterMs", "failAfterMs", "hangUpAfterMs"])
        if (o[k] !== undefined) c.num(`${where}.${k}`, o[k])
    for (const k of ["busy", "unreachable", "noAnswer"])
        if (o[k] !== undefined && typeof o[k] !== "boolean")
            c.fail(`${where}.${k}`, "expected true or false")
    return o as OutsideBehaviour
}

function parseTime(c: Checker, v: unknown): number {
    const s = c.str("startTime", v)
    const t = Date.parse(s)
    if (Number.isNaN(t))
        c.fail(
            "startTime",
            `not a date: "${s}" (e.g. "2026-11-27T09:00:00+08:00")`
        )
    return t
}

function checkStep(
    c: Checker,
    where: string,
    raw: unknown,
    ports: string[],
    site?: SiteSpec
): Step {
    const o = c.obj(where, raw)
    const kinds = Object.keys(o).filter(k => k in STEP_KEYS)
    if (kinds.length !== 1)
        c.fail(
            where,
            kinds.length
                ? `one step per object, found ${kinds.join(" and ")}`
                : `unknown step ${JSON.stringify(o)} (steps: ${Object.keys(STEP_KEYS).join(", ")})`
        )
    const kind = kinds[0]
    const at = `${where} (${kind})`
    c.keys(at, o, [kind, ...STEP_KEYS[kind]])
    const v = o[kind]
    const port = (w: string, x: unknown) => {
        const ext = c.str(w, x)
        if (!ports.includes(ext))
            c.fail(
                w,
                `"${ext}" is not a simulated port (ports: ${ports.join(", ")})`
            )
        return ext
    }
    if (o.timeoutMs !== undefined) c.num(`${at}.timeoutMs`, o.timeoutMs)
    const board = (w: string, x: unknown) => {
        const id = c.str(w, x)
        if (!site) c.fail(w, `"board" is for a site scenario ("site": FILE)`)
        const ids = site.boards.map(b => b.id)
        if (!ids.includes(id))
            c.fail(
                w,
                `no board "${id}" in the site (boards: ${ids.join(", ")})`
            )
        return id
    }
    if (o.board !== undefined) board(`${at}.board`, o.board)
    switch (kind) {
        case "offHook":
        case "onHook":
        case "answer":
            port(at, v)
            break
        case "press":
        case "dial": {
            port(at, v)
            const d = c.str(`${at}.digits`, o.digits).replace(/[ -]/g, "")
            if (!/^[0-9*#]+$/.test(d))
                c.fail(
                    `${at}.digits`,
                    `only 0-9, * and # (spaces and dashes ignored): "${o.digits}"`
                )
            o.digits = d
            if (o.gapMs !== undefined) c.num(`${at}.gapMs`, o.gapMs)
            break
        }
        case "wait":
            c.num(at, v)
            break
        case "incoming": {
            const i = c.obj(at, v)
            c.keys(at, i, ["from", "to"], ["from", "to"])
            c.str(`${at}.from`, i.from)
            port(`${at}.to`, i.to)
            break
        }
        case "waitRings": {
            const w = c.obj(at, v)
            c.keys(at, w, ["port", "count", "timeoutMs"], ["port", "count"])
            port(`${at}.port`, w.port)
            c.num(`${at}.count`, w.count, 1)
            if (w.timeoutMs !== undefined) c.num(`${at}.timeoutMs`, w.timeoutMs)
            break
        }
        case "hangUp": {
            const who = c.str(at, v)
            if (ports.includes(who))
                c.fail(
                    at,
                    `${who} is a simulated port: use {"onHook":"${who}"}; hangUp is for the party outside ("outside" or its number)`
                )
            break
        }
        case "restart":
            if (v !== true && v !== "power" && v !== "admin")
                c.fail(
                    at,
                    `expected true (= "power": the VM process is killed and started again) or "admin" (the admin restart command)`
                )
            break
        case "outside":
            parseOutside(c, at, v)
            break
        case "brokerLink":
            if (v !== "down" && v !== "up")
                c.fail(
                    at,
                    `expected "down" (the board is cut off the broker) or "up"`
                )
            if (!site) c.fail(at, `a broker link is for a site scenario`)
            break
        case "uploadPolicy":
            if (o.expectOk !== undefined && typeof o.expectOk !== "boolean")
                c.fail(`${at}.expectOk`, "expected true or false")
            break
        case "note":
            c.str(at, v)
            break
        case "expectDialled": {
            const e = c.obj(at, v)
            c.keys(at, e, ["port", "number"], ["port", "number"])
            port(`${at}.port`, e.port)
            c.str(`${at}.number`, e.number)
            break
        }
        case "expectNotDialled": {
            const e = c.obj(at, v)
            c.keys(at, e, ["port", "number", "forMs"], ["port"])
            port(`${at}.port`, e.port)
            if (e.number !== undefined) c.str(`${at}.number`, e.number)
            if (e.forMs !== undefined) c.num(`${at}.forMs`, e.forMs)
            break
        }
        case "expectRefused": {
            const e = c.obj(at, v)
            c.keys(at, e, ["port", "code"], ["port"])
            port(`${at}.port`, e.port)
            if (e.code !== undefined) c.str(`${at}.code`, e.code)
            break
        }
        case "expectTone": {
            const e = c.obj(at, v)
            c.keys(at, e, ["port", "tone"], ["port", "tone"])
            port(`${at}.port`, e.port)
            const tone = c.str(`${at}.tone`, e.tone)
            if (!TONES.includes(tone))
                c.fail(
                    `${at}.tone`,
                    `"${tone}" is not a tone (${TONES.join(", ")})`
                )
            break
        }
        case "expectForwarded": {
            const e = c.obj(at, v)
            c.keys(
                at,
                e,
                ["from", "to", "afterRings", "divertedFrom"],
                ["from", "to"]
            )
            port(`${at}.from`, e.from)
            c.str(`${at}.to`, e.to)
            if (e.afterRings !== undefined)
                c.num(`${at}.afterRings`, e.afterRings)
            if (e.divertedFrom !== undefined)
                c.str(`${at}.divertedFrom`, e.divertedFrom)
            break
        }
        case "expectNotForwarded": {
            const e = c.obj(at, v)
            c.keys(at, e, ["port", "forMs"], ["port", "forMs"])
            port(`${at}.port`, e.port)
            c.num(`${at}.forMs`, e.forMs, 1)
            break
        }
        case "expectAnswered": {
            const e = c.obj(at, v)
            c.keys(at, e, ["port"], ["port"])
            port(`${at}.port`, e.port)
            break
        }
        case "expectCounter": {
            const e = c.obj(at, v)
            c.keys(
                at,
                e,
                ["name", "board", "equals", "atLeast", "atMost"],
                ["name"]
            )
            const name = c.str(`${at}.name`, e.name)
            if (e.board !== undefined) board(`${at}.board`, e.board)
            else if (
                site &&
                !site.boards.some(b => b.ports.includes(name.split(".")[0]))
            )
                c.fail(
                    `${at}.name`,
                    `no board serves ${name.split(".")[0]}: give "board"`
                )
            const bounds = ["equals", "atLeast", "atMost"].filter(
                k => e[k] !== undefined
            )
            if (!bounds.length)
                c.fail(at, `give "equals", "atLeast" and/or "atMost"`)
            for (const k of bounds) c.num(`${at}.${k}`, e[k])
            break
        }
        case "expectLog": {
            const e = c.obj(at, v)
            c.keys(at, e, ["contains", "board"], ["contains"])
            c.str(`${at}.contains`, e.contains)
            if (e.board !== undefined) board(`${at}.board`, e.board)
            break
        }
        case "expectPolicyVersion":
            c.num(at, v)
            break
        case "expectConsole": {
            const e = c.obj(at, v)
            c.keys(at, e, ["contains", "board"], ["contains"])
            c.str(`${at}.contains`, e.contains)
            if (e.board !== undefined) board(`${at}.board`, e.board)
            break
        }
    }
    return o as Step
}

/** A policy given inline or as a path relative to `baseDir`. */
export function resolvePolicy(
    c: Checker | undefined,
    baseDir: string,
    v: unknown
): { policy: unknown; file?: string } {
    if (typeof v === "string") {
        const file = resolve(baseDir, v)
        return { policy: loadJsonOrYaml(file, "policy"), file }
    }
    if (c) c.obj("policy", v)
    return { policy: v }
}

export function parseScenario(file: string): Scenario {
    const c: Checker = new Checker(file)
    const o = c.obj("scenario", loadJsonOrYaml(file, "scenario"))
    c.keys("scenario", o, TOP_KEYS, ["name", "steps"])
    const name = c.str("name", o.name)
    const base = dirname(file)
    let site: SiteSpec | undefined
    let ports: string[]
    if (o.site !== undefined) {
        if (o.ports !== undefined)
            c.fail(
                "ports",
                `a site scenario's ports are its boards' (the site file): leave "ports" out`
            )
        site =
            typeof o.site === "string"
                ? parseSiteFile(resolve(base, o.site))
                : checkSite(c.obj("site", o.site), `${file}: site`)
        ports = site.boards.flatMap(b => b.ports)
    } else {
        if (!Array.isArray(o.ports) || o.ports.length === 0)
            c.fail(
                "ports",
                `expected a list of extensions such as ["8001", "8101"] (or "site": FILE for several boards)`
            )
        ports = o.ports.map((p, i) => c.str(`ports[${i}]`, p))
        const dup = ports.find((p, i) => ports.indexOf(p) !== i)
        if (dup) c.fail("ports", `extension ${dup} listed twice`)
    }
    let ring: RingCadence | undefined
    if (o.ring !== undefined) {
        const r = c.obj("ring", o.ring)
        c.keys("ring", r, ["onMs", "cycleMs"], ["onMs", "cycleMs"])
        ring = {
            onMs: c.num("ring.onMs", r.onMs, 1),
            cycleMs: c.num("ring.cycleMs", r.cycleMs, 1),
        }
        if (ring.onMs >= ring.cycleMs)
            c.fail("ring", "onMs must be shorter than cycleMs")
    }
    if (!Array.isArray(o.steps)) c.fail("steps", "expected a list of steps")
    const steps = o.steps.map((s, i) =>
        checkStep(c, `step ${i + 1}`, s, ports, site)
    )
    for (const s of steps)
        if ("uploadPolicy" in s)
            s.uploadPolicy = resolvePolicy(c, base, s.uploadPolicy).policy
    // a site scenario's policy: its own, else the site's
    const pol =
        o.policy === undefined || o.policy === null
            ? site?.policy !== undefined
                ? { policy: site.policy, file: site.policyFile }
                : undefined
            : resolvePolicy(c, base, o.policy)
    return {
        name,
        file,
        description:
            o.description === undefined
                ? undefined
                : c.str("description", o.description),
        rule: o.rule === undefined ? undefined : c.str("rule", o.rule),
        policy: pol?.policy,
        policyFile: pol?.file,
        site,
        ports,
        ring,
        outside:
            o.outside === undefined
                ? undefined
                : parseOutside(c, "outside", o.outside),
        startTime:
            o.startTime === undefined ? undefined : parseTime(c, o.startTime),
        timeoutMs:
            o.timeoutMs === undefined ? 10000 : c.num("timeoutMs", o.timeoutMs),
        firmware:
            o.firmware === undefined
                ? undefined
                : c.str("firmware", o.firmware),
        steps,
    }
}
