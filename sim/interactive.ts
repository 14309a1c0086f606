// `npm run sim`: the simulator at a prompt. Lift handsets, press keys, call
// in from outside, answer, read counters, and watch what the firmware does
// (tones, rings, dials, forwards, its log) as it happens. By default a whole
// site (sim/sites/hq.site.json: three boards); --ports for one board.
//
//   npm run sim -- [--site FILE | --ports 8001,8101] [--policy FILE]
//                  [--ring ON/CYCLE] [--firmware FILE] [--no-policy]
//                  [--start-time TIME] [--quiet]

import { createInterface, Interface } from "node:readline"
import { randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import {
    EmbeddedBroker,
    listenError,
    startEmbeddedBroker,
} from "../src/fleet/embedded"
import {
    BLOCKED_CODES,
    CALL_CATEGORIES,
    CALLER_OUTCOMES,
    INCOMING_OUTCOMES,
} from "../devs/phone/counters"
import { monthOf } from "../src/fleet/topics"
import { withoutLogin } from "../src/secrets"
import { DEFAULT_BUS } from "../src/board/busAddress"
import { ROOT } from "./bus"
import { SimError } from "../src/board/errors"
import { killAllChildren } from "./proc"
import { SimEvent, formatEvent } from "../src/board/record"
import { OUT_DIR } from "./runner"
import { loadJsonOrYaml } from "./scenario"
import { RingCadence, SimSession } from "./session"
import { SimSite, SiteSpec, parseSiteFile, siteIdOf } from "./site"
import { sipOptionsFrom } from "./sip/options"

const HELP = `Commands (extensions are the simulated ports, e.g. 8001):
  lift 8001                 take the handset off the hook
  hang 8001                 put it back
  press 8001 0101234#       press keys (0-9 * #) on the keypad
  dial 8001 01062345678     lift, then press the keys
  call 8001 from 138...     a call from outside rings 8001
  answer 8001               lift a ringing handset
  outside hangup            the party outside hangs up
  outside answer [MS]       outside numbers answer after MS ms (default 2000)
  outside busy | noanswer | unreachable
  counters 8001             the handset's non-zero counters this month
  counter NAME              one counter, e.g. 8001.blocked.premium
  policy FILE               upload a policy file (JSON or YAML)
  version                   the policy version each board enforces, its last error
  log [N]                   the last N lines of the boards' activity logs (default 20)
  events [N]                the last N events of the record (default 30)
  restart [BOARD] [admin]   power-cycle a board (every board without BOARD;
                            admin: send the admin restart instead)
  status                    every board: its bus, ports, hooks and calls
  help                      this list
  quit                      stop the simulator and leave (also Ctrl-D)`

interface Options {
    firmware?: string
    /** The site file (default sim/sites/hq.site.json), unless ports are given. */
    siteFile?: string
    policy?: string
    /** Set: the policy was given (or --no-policy), not the site file's. */
    policyGiven: boolean
    /** One board serving these ports (--ports), instead of a site. */
    ports?: string[]
    ring?: RingCadence
    quiet: boolean
    /** Fleet sync: the board connects to this broker for this site. */
    broker?: string
    /** The MQTT site id (default: the site file's). */
    site?: string
    keyFile?: string
    /** Start an in-process broker on this port first (npm start). */
    embeddedBroker?: number
    /** The simulated wall clock's start (ms since 1970); default: now. */
    startTime?: number
    /** --sip URI and its credentials (sim/sip/options.ts). */
    sip?: string
    sipUser?: string
    sipPassword?: string
    sipLocal?: string
}

function parseArgs(argv: string[]): Options {
    const o: Options = { quiet: false, policyGiven: false }
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        const val = () => {
            const v = argv[++i]
            if (v === undefined) throw new SimError(`option ${a} needs a value`)
            return v
        }
        if (a === "--firmware") o.firmware = val()
        else if (a === "--policy") {
            o.policy = val()
            o.policyGiven = true
        } else if (a === "--no-policy") {
            o.policy = undefined
            o.policyGiven = true
        } else if (a === "--site") {
            o.siteFile = val()
            if (!/\.(json|ya?ml)$/i.test(o.siteFile))
                throw new SimError(
                    `--site takes a site file (e.g. sim/sites/hq.site.json); the MQTT site id is --site-id ${o.siteFile}`
                )
        } else if (a === "--ports")
            o.ports = val()
                .split(",")
                .map(s => s.trim())
                .filter(Boolean)
        else if (a === "--quiet") o.quiet = true
        else if (a === "--broker") o.broker = val()
        else if (a === "--site-id") o.site = val()
        else if (a === "--key") o.keyFile = val()
        else if (a === "--sip") o.sip = val()
        else if (a === "--sip-user") o.sipUser = val()
        else if (a === "--sip-password") o.sipPassword = val()
        else if (a === "--sip-local") o.sipLocal = val()
        else if (a === "--embedded-broker") {
            const v = val()
            if (!/^\d+$/.test(v) || +v > 65535)
                throw new SimError(
                    `bad --embedded-broker ${JSON.stringify(v)} (a port, 0-65535)`
                )
            o.embeddedBroker = +v
        } else if (a === "--start-time") {
            const v = val()
            o.startTime = Date.parse(v)
            if (Number.isNaN(o.startTime))
                throw new SimError(
                    `bad --start-time ${JSON.stringify(v)} (e.g. 2026-11-30T23:59:00+08:00)`
                )
        } else if (a === "--ring") {
            const m = /^(\d+)\/(\d+)$/.exec(val())
            if (!m)
                throw new SimError(
                    "--ring ON/CYCLE in ms, e.g. --ring 300/1000"
                )
            o.ring = { onMs: +m[1], cycleMs: +m[2] }
        } else if (a === "-h" || a === "--help") {
            process.stdout.write(
                "npm run sim -- [--site FILE | --ports 8001,8101] [--policy FILE | --no-policy] [--ring ON/CYCLE]\n" +
                    "               [--firmware FILE] [--quiet] [--broker URL | --embedded-broker PORT] [--site-id ID] [--key FILE]\n" +
                    "               [--start-time TIME] [--sip URI [--sip-user NAME] [--sip-password PW] [--sip-local ADDR]]\n\n" +
                    "  --site FILE       the site: which board serves which extensions, and its policy\n" +
                    "                    (default sim/sites/hq.site.json: 3 boards, 9 handsets)\n" +
                    "  --ports EXT,...   one board serving these extensions instead (with --policy, default\n" +
                    "                    sim/policies/hq.policy.json, uploaded whole)\n" +
                    "  --policy FILE     the policy (each board gets its share); --no-policy: none (fail closed)\n" +
                    "  --site-id ID      the MQTT site id the boards sync under (default: the site file's)\n" +
                    "  --start-time TIME the SIP lines' wall clock starts there (default: now), e.g. 2026-11-30T23:59:00+08:00\n" +
                    "  --sip URI         sip:HOST[:PORT][;transport=tcp]: the SIP lines speak real SIP to that server\n" +
                    "                    instead of the simulated exchange; the password better from\n" +
                    "                    DIALGUARD_SIP_PASSWORD (never printed)\n\n" +
                    HELP +
                    "\n"
            )
            process.exit(0)
        } else throw new SimError(`unknown option ${a} (try --help)`)
    }
    if (o.ports && o.siteFile)
        throw new SimError("give --site FILE or --ports, not both")
    return o
}

/** Events worth showing live (not the VM console or bookkeeping). */
const LIVE = new Set([
    "tone",
    "ring",
    "dial",
    "answer",
    "hangUp",
    "redirect",
    "incoming",
    "remoteAnswered",
    "remoteHungUp",
    "callFailed",
    "log",
    "forwarded",
    "redirectFailed",
    "callRefused",
    "outsideAnswered",
    "anomaly",
    "vmError",
    "vmExit",
])

class Prompt {
    private rl!: Interface
    private ringing = new Map<string, number>()

    constructor(
        private s: SimSite,
        private opts: Options
    ) {}

    /** The board serving `ext` (the first, for a name that is no extension). */
    private boardOf(ext: string): SimSession {
        return this.s.sessionOf(ext) ?? this.s.sessions[0]
    }

    /** "floor3: " in a site of several boards, "" for one board. */
    private on(b: SimSession) {
        return this.s.sessions.length > 1 ? `${b.board}: ` : ""
    }

    private print(line: string) {
        process.stdout.write("\r\x1b[K" + line + "\n")
        this.rl?.prompt(true)
    }

    /** Live view: rings are summarised ("8001 ring 3") rather than on/off. */
    show(e: SimEvent) {
        if (!LIVE.has(e.kind) || this.opts.quiet) return
        if (e.kind === "ring") {
            if (!e.on) return
            const n = (this.ringing.get(e.ext!) ?? 0) + 1
            this.ringing.set(e.ext!, n)
            return this.print(
                `${formatEvent(e).replace(/ring on=true/, "")}ring ${n}`
            )
        }
        if (e.kind === "incoming") this.ringing.set(e.ext!, 0)
        this.print(formatEvent(e))
    }

    private ext(word: string | undefined): string {
        if (!word) throw new SimError("which extension? (e.g. 8001)")
        this.s.port(word)
        return word
    }

    private async counters(ext: string) {
        const names = [
            ...CALL_CATEGORIES.map(c => `${ext}.calls.${c}`),
            ...CALL_CATEGORIES.map(c => `${ext}.seconds.${c}`),
            ...BLOCKED_CODES.map(c => `${ext}.blocked.${c}`),
            ...INCOMING_OUTCOMES.map(c => `${ext}.incoming.${c}`),
            ...CALLER_OUTCOMES.map(c => `${ext}.caller.${c}`),
        ]
        const rows: string[] = []
        for (const n of names) {
            const v = await this.boardOf(ext).admin.counter(n)
            if (v) rows.push(`  ${n.padEnd(32)} ${v}`)
        }
        this.print(
            rows.length
                ? rows.join("\n")
                : `  all counters of ${ext} are 0 this month`
        )
    }

    private async status() {
        const x = this.s.exchange
        const lines: string[] = []
        for (const b of this.s.sessions) {
            const version = await b.admin.policyVersion()
            const link = this.s.links.get(b.board)
            const sync = link
                ? `, broker ${link.up ? "reachable" : "cut off"}`
                : ""
            lines.push(
                `  board ${b.board}  bus ${b.busUrl}  policy v${version}${sync}`
            )
            for (const p of b.ports) {
                const state = x.ringingAt(p)
                    ? "ringing"
                    : x.callOf(p)
                      ? "in a call"
                      : p.offHook
                        ? "off hook"
                        : "on hook"
                lines.push(`    port ${p.index}  ${p.extension}  ${state}`)
            }
        }
        const o = this.s.exchange.outside
        lines.push(
            `  outside: ${JSON.stringify(o).replace(/^\{\}$/, "answers after 2000 ms")}`
        )
        this.print(lines.join("\n"))
    }

    async exec(line: string): Promise<boolean> {
        const w = line.trim().split(/\s+/).filter(Boolean)
        if (!w.length) return true
        const s = this.s
        const [cmd, a, b, c] = w
        switch (cmd) {
            case "help":
            case "?":
                this.print(HELP)
                break
            case "quit":
            case "exit":
                return false
            case "lift":
            case "answer": {
                const port = s.port(this.ext(a))
                const sipLine = s
                    .sessionOf(port.extension)
                    ?.sip?.agents.get(port)
                const ringing = sipLine
                    ? sipLine.ringing
                    : s.exchange.ringingAt(port)
                if (cmd === "answer" && !ringing)
                    this.print(`  (${a} is not ringing: just lifting it)`)
                await port.hook(true)
                break
            }
            case "hang":
                await s.port(this.ext(a)).hook(false)
                break
            case "press":
            case "dial": {
                const port = s.port(this.ext(a))
                const digits = w.slice(2).join("").replace(/-/g, "")
                if (!/^[0-9*#]+$/.test(digits))
                    throw new SimError("keys are 0-9, * and #")
                if (cmd === "dial") {
                    await port.hook(true)
                    await new Promise(r => setTimeout(r, 300))
                }
                for (const k of digits) {
                    await port.key(k)
                    await new Promise(r => setTimeout(r, 150))
                }
                break
            }
            case "call":
                if (this.opts.sip)
                    throw new SimError(
                        `with --sip, calls from outside come from the SIP server (e.g. sipp -sn uac -s ${a ?? "8001"} ${this.opts.sip.replace(/^sip:/, "").replace(/;.*/, "")}, or a softphone); between extensions: dial 8201 ${a ?? "8001"}#`
                    )
                if (b !== "from" || !c)
                    throw new SimError("usage: call 8001 from 13812345678")
                if (!s.exchange.incomingFromOutside(c, this.ext(a)))
                    this.print(`  ${a} is busy`)
                break
            case "outside":
                if (this.opts.sip)
                    throw new SimError(
                        "with --sip, the outside party is the SIP server's, not the simulated exchange's"
                    )
                if (a === "hangup") {
                    if (!s.exchange.hangUpOutside())
                        this.print("  no call with outside")
                } else if (a === "answer")
                    s.exchange.outside = { answerAfterMs: b ? +b : 2000 }
                else if (a === "busy") s.exchange.outside = { busy: true }
                else if (a === "noanswer")
                    s.exchange.outside = { noAnswer: true }
                else if (a === "unreachable")
                    s.exchange.outside = { unreachable: true }
                else
                    throw new SimError(
                        "usage: outside hangup | answer [MS] | busy | noanswer | unreachable"
                    )
                break
            case "counters":
                await this.counters(this.ext(a))
                break
            case "counter":
                if (!a)
                    throw new SimError("usage: counter 8001.blocked.premium")
                this.print(
                    `  ${a} = ${await this.boardOf(a.split(".")[0]).admin.counter(a)}`
                )
                break
            case "policy": {
                if (!a) throw new SimError("usage: policy FILE")
                const rs = await s.uploadPolicy(loadJsonOrYaml(a, "policy"))
                for (const { board, result: r } of rs)
                    this.print(
                        `  ${this.on(s.session(board))}${r.ok ? "applied" : "refused"}: ${r.message}`
                    )
                break
            }
            case "version":
                for (const b of s.sessions)
                    this.print(
                        `  ${this.on(b)}policy version ${await b.admin.policyVersion()}; last error: ${JSON.stringify(await b.admin.lastError())}`
                    )
                break
            case "log": {
                const n = a ? +a : 20
                const lines = s.rec.select("log").slice(-n)
                this.print(
                    lines.map(e => `  ${formatEvent(e)}`).join("\n") ||
                        "  (no log lines yet)"
                )
                break
            }
            case "events": {
                const n = a ? +a : 30
                this.print(
                    s.rec.events
                        .slice(-n)
                        .map(e => "  " + formatEvent(e))
                        .join("\n")
                )
                break
            }
            case "restart": {
                const admin = a === "admin" || b === "admin"
                const board = a !== undefined && a !== "admin" ? a : undefined
                await Promise.all(
                    s
                        .targets(board)
                        .map(t => (admin ? t.softRestart() : t.restart()))
                )
                await this.ready(board)
                break
            }
            case "status":
                await this.status()
                break
            default:
                throw new SimError(`unknown command '${cmd}' (type help)`)
        }
        return true
    }

    async ready(board?: string) {
        const missing = await this.s.waitPortsReady(board)
        if (missing.length)
            this.print(
                `  warning: the firmware has not taken on: ${missing.join(", ")}`
            )
        else
            for (const b of this.s.targets(board))
                this.print(
                    `  ${this.on(b)}ready: ports ${b.ports.map(p => p.extension).join(", ")}`
                )
    }

    run(): Promise<void> {
        this.rl = createInterface({
            input: process.stdin,
            output: process.stdout,
            prompt: "sim> ",
        })
        return new Promise(resolve => {
            let queue = Promise.resolve(true)
            this.rl.on("line", line => {
                queue = queue.then(async go => {
                    if (!go) return false
                    try {
                        go = await this.exec(line)
                    } catch (e) {
                        if (!(e instanceof SimError)) throw e
                        this.print(`  ${e.message}`)
                    }
                    if (!go) this.rl.close()
                    else this.rl.prompt()
                    return go
                })
            })
            this.rl.on("SIGINT", () => this.rl.close())
            this.rl.on("close", () => {
                void queue.then(() => resolve())
            })
            this.rl.prompt()
        })
    }
}

/** The fleet sync settings, starting the embedded broker if asked. */
async function fleet(opts: Options, siteId: string, out: (l: string) => void) {
    if (opts.embeddedBroker === undefined && !opts.broker) return {}
    let broker: EmbeddedBroker | undefined
    let url = opts.broker
    if (opts.embeddedBroker !== undefined) {
        const port = opts.embeddedBroker
        try {
            broker = await startEmbeddedBroker(port, "127.0.0.1")
        } catch (e) {
            const why = listenError(e, "127.0.0.1", port)
            if (!why) throw e
            throw new SimError(
                `cannot start the MQTT broker: ${why}; pick another port: ` +
                    `npm run sim -- --embedded-broker ${port < 65535 ? port + 1 : 1884}`
            )
        }
        url = broker.url
        out(
            `embedded MQTT broker on ${url} (in memory; use mosquitto or EMQX for a real site)`
        )
    }
    if (!/^mqtt:\/\//.test(url!))
        throw new SimError(
            `--broker ${withoutLogin(url!)}: the simulated boards reach their broker over plain mqtt://`
        )
    const keyFile = opts.keyFile ?? join(OUT_DIR, "site.key")
    if (!existsSync(keyFile)) {
        mkdirSync(dirname(keyFile), { recursive: true })
        writeFileSync(keyFile, randomBytes(32).toString("hex") + "\n", {
            mode: 0o600,
        })
        out(`new site key in ${keyFile}`)
    }
    const siteKey = readFileSync(keyFile, "utf8").trim()
    const shown = withoutLogin(url!)
    const month = monthOf(Math.floor((opts.startTime ?? Date.now()) / 1000))
    const policy = opts.policy ?? "sim/policies/hq-site.policy.json"
    out(
        `the boards sync with site "${siteId}"; try in another terminal:\n` +
            `  npx dialguard status --broker ${shown} --site ${siteId}\n` +
            `  npx dialguard policy push ${policy} --broker ${shown} --site ${siteId} --key ${keyFile}\n` +
            `  npx dialguard report --broker ${shown} --site ${siteId} --month ${month}`
    )
    return { sync: { brokerUrl: url!, site: siteId, siteKey }, broker }
}

/** The site to run: the site file, or one board serving --ports. */
function siteOf(opts: Options): { spec: SiteSpec; whole: boolean } {
    if (opts.ports) {
        if (!opts.policyGiven)
            opts.policy = join(ROOT, "sim", "policies", "hq.policy.json")
        return {
            spec: {
                name: "one board",
                boards: [{ id: "sim-1", ports: opts.ports }],
            },
            whole: true,
        }
    }
    const file = opts.siteFile ?? join(ROOT, "sim", "sites", "hq.site.json")
    const spec = parseSiteFile(file)
    if (!opts.policyGiven) opts.policy = spec.policyFile
    return { spec, whole: false }
}

async function main() {
    const opts = parseArgs(process.argv.slice(2))
    const out = (l: string) => process.stdout.write(l + "\n")
    const { spec, whole } = siteOf(opts)
    const siteId = opts.site ?? siteIdOf({ ...spec, policy: spec.policy })
    const sync = await fleet(opts, siteId, out)
    const n = spec.boards.length
    out(
        `starting the simulator (firmware ${opts.firmware ?? "devs/main.ts"}, ` +
            (n > 1
                ? `${n} boards: ${spec.boards.map(b => `${b.id} ${b.ports.join(",")}`).join("; ")})...`
                : `ports ${spec.boards[0].ports.join(", ")})...`)
    )
    const sip = opts.sip
        ? await sipOptionsFrom(opts.sip, {
              user: opts.sipUser,
              password: opts.sipPassword,
              local: opts.sipLocal,
          })
        : undefined
    if (sip)
        out(
            `SIP: each port registers with sip:${sip.server.host}:${sip.server.port} over ${sip.server.transport.toUpperCase()} from ${sip.localAddress}` +
                (sip.password === undefined ? " (no password)" : "") +
                '; calls from outside come from that server ("call" and "outside" are for the simulated exchange)'
        )
    let prompt: Prompt | undefined
    const site = await SimSite.start(spec, {
        sip,
        firmware: opts.firmware,
        ring: opts.ring,
        logFile: b =>
            join(OUT_DIR, n > 1 ? `interactive.${b}.log` : "interactive.log"),
        onEvent: e => prompt?.show(e),
        sync: sync.sync,
        startTime: opts.startTime,
        busPort: Number(new URL(DEFAULT_BUS).port), // if free
        wholePolicy: whole,
    })
    const first = site.sessions[0]
    out(
        first.busUrl === DEFAULT_BUS
            ? `${n > 1 ? `board ${first.board}'s` : "the board's"} bus: ${first.busUrl} (dialguard flash's default --bus)`
            : `${n > 1 ? `board ${first.board}'s` : "the board's"} bus: ${first.busUrl} (${DEFAULT_BUS} is taken: dialguard flash --bus ${first.busUrl})`
    )
    for (const b of site.sessions.slice(1))
        out(`board ${b.board}'s bus: ${b.busUrl}`)
    prompt = new Prompt(site, opts)
    try {
        // the one given, else the site's (a file or inline)
        const policy = opts.policy
            ? loadJsonOrYaml(opts.policy, "policy")
            : opts.policyGiven
              ? undefined
              : spec.policy
        if (policy !== undefined) {
            const rs = await site.uploadPolicy(policy)
            const refused = rs.filter(r => !r.result.ok)
            out(
                `policy ${opts.policy ?? "of the site"}: ` +
                    (refused.length
                        ? `refused: ${refused.map(r => `${n > 1 ? r.board + ": " : ""}${r.result.message}`).join("; ")}`
                        : n > 1
                          ? `applied, each board its share`
                          : "applied")
            )
        }
        await prompt.ready()
        if (n > 1 && spec.file?.endsWith("hq.site.json") && sip)
            out(
                "try: dial 8201 8009#   (board floor5 calls the lobby over SIP: unanswered, after 3 rings the lobby's 302 sends it to 8001 on board floor3; then: answer 8001)"
            )
        else if (n > 1 && spec.file?.endsWith("hq.site.json"))
            out(
                "try: call 8009 from 13812345678   (unanswered, it moves on every 3 rings: 8001 on board floor3, 8101 and 8201 on board floor5, the front desk 8000 on board lobby)"
            )
        out('type "help" for the commands')
        await prompt.run()
    } finally {
        out("stopping the simulator...")
        await site.stop()
        await sync.broker?.close()
        // npm sip leaves its TCP connections open (120 s idle timeout)
        if (sip) setTimeout(() => process.exit(), 200).unref()
    }
}

main().catch(e => {
    killAllChildren()
    if (!(e instanceof SimError)) throw e
    process.stderr.write(`sim: ${e.message}\n`)
    for (const d of e.details) process.stderr.write(`  ${d}\n`)
    process.exitCode = 1
})
