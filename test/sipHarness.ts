// Real SIP peers for the SIP tests, on loopback: Kamailio as the site's
// registrar and proxy (test/fixtures/kamailio/kamailio.cfg), SIPp as the
// carrier trunk (test/fixtures/sipp/trunk.xml, every INVITE's Request-URI
// logged) and as an outside caller (caller.xml). Each on a free port, in a
// temporary directory; run the tests in their own network namespace
// (`unshare -n`, see README "Tests") so that they own the ports.
import { ChildProcess, spawn, spawnSync } from "node:child_process"
import { createSocket } from "node:dgram"
import {
    existsSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freeSipPort } from "../sim/sip/lines"
import type { SipServer, Transport } from "../sim/sip/userAgent"

const FIXTURES = join(import.meta.dirname, "fixtures")
const KAMAILIO = ["/usr/sbin/kamailio", "kamailio"].find(p =>
    p.includes("/") ? existsSync(p) : true
)!
const HOST = "127.0.0.1"

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** Resolves once something answers a SIP OPTIONS on udp HOST:port. */
async function waitSipUp(port: number, timeoutMs = 15000) {
    const t0 = Date.now()
    while (Date.now() - t0 < timeoutMs) {
        const ok = await new Promise<boolean>(resolve => {
            const s = createSocket("udp4")
            const done = (v: boolean) => {
                clearTimeout(timer)
                s.close()
                resolve(v)
            }
            const timer = setTimeout(() => done(false), 300)
            s.on("message", () => done(true))
            s.on("error", () => done(false))
            s.bind(0, HOST, () => {
                const lp = (s.address() as { port: number }).port
                const msg =
                    `OPTIONS sip:${HOST}:${port} SIP/2.0\r\n` +
                    `Via: SIP/2.0/UDP ${HOST}:${lp};branch=z9hG4bK${Date.now()}\r\n` +
                    `From: <sip:probe@${HOST}>;tag=1\r\nTo: <sip:${HOST}:${port}>\r\n` +
                    `Call-ID: probe${Date.now()}@${HOST}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n`
                s.send(msg, port, HOST)
            })
        })
        if (ok) return
        await sleep(100)
    }
    throw new Error(`nothing answers SIP on ${HOST}:${port}`)
}

/** Resolves once something has bound udp HOST:port (SIPp takes a while to start). */
async function waitBound(port: number, timeoutMs = 15000) {
    const t0 = Date.now()
    while (Date.now() - t0 < timeoutMs) {
        const free = await new Promise<boolean>(resolve => {
            const s = createSocket("udp4")
            s.once("error", () => resolve(false))
            s.bind(port, HOST, () => s.close(() => resolve(true)))
        })
        if (!free) return
        await sleep(50)
    }
    throw new Error(`SIPp did not bind ${HOST}:${port}`)
}

/** The final responses the trunk gives to INVITE sip:9990CCC... */
export const TRUNK_FAILURES = [
    486, 600, 408, 480, 487, 404, 484, 604, 503, 403, 603,
]

/** trunk.xml with a branch per code of TRUNK_FAILURES. */
function trunkScenario(): string {
    const t = readFileSync(join(FIXTURES, "sipp", "trunk.xml"), "utf8")
    const eregs = TRUNK_FAILURES.map(
        c =>
            `      <ereg regexp="^INVITE sip:9990${c}" search_in="msg" check_it="false" assign_to="f${c}"/>`
    )
    const jumps = TRUNK_FAILURES.map(c => `  <nop next="f${c}" test="f${c}"/>`)
    const branches = TRUNK_FAILURES.map(
        c => `  <label id="f${c}"/>
  <send>
    <![CDATA[
      SIP/2.0 ${c} Failure
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK" next="end"/>`
    )
    return t
        .replace("@FAIL_EREGS@", eregs.join("\n"))
        .replace("@FAIL_JUMPS@", jumps.join("\n"))
        .replace("@FAIL_BRANCHES@", branches.join("\n"))
}

export interface CallerRun {
    code: number | null
    /** SIPp's log: "302 contact ... diversion ...", "answered". */
    log: string
    out: string
    /** With `messages`: every message SIPp sent and received (-trace_msg). */
    messages: string
}

/** One message of SIPp's -trace_msg log. */
export interface TracedMessage {
    /** ms since 1970, SIPp's clock. */
    t: number
    dir: "sent" | "received"
    text: string
}

/** SIPp's -trace_msg log, message by message. */
export function tracedMessages(log: string): TracedMessage[] {
    const out: TracedMessage[] = []
    const re =
        /^-{10,} (\d{4}-\d\d-\d\d\t?\s*\d\d:\d\d:\d\d(?:\.\d+)?)\s*\n(?:UDP|TCP) message (sent|received)[^\n]*\n\n?([\s\S]*?)(?=^-{10,} |(?![\s\S]))/gm
    for (const m of log.matchAll(re))
        out.push({
            t: Date.parse(m[1].replace(/\s+/, "T") + "Z"),
            dir: m[2] as "sent" | "received",
            text: m[3],
        })
    return out
}

export class SipSite {
    private procs: ChildProcess[] = []
    private kamailio?: ChildProcess
    readonly dir = mkdtempSync(join(tmpdir(), "dialguard-sip-"))
    kamPort = 0
    trunkPort = 0
    /** Kamailio's stderr (its log), for failure messages. */
    kamLog = ""

    constructor(
        readonly password: string,
        /** Kamailio follows 3xx itself (kamailio.cfg FOLLOW_REDIRECTS). */
        readonly followRedirects: boolean
    ) {}

    static async start(
        password = "office-secret",
        opts: { followRedirects?: boolean } = {}
    ): Promise<SipSite> {
        for (const [bin, pkg] of [
            [KAMAILIO, "kamailio"],
            ["sipp", "sip-tester"],
        ])
            if (spawnSync(bin, ["-v"]).error)
                throw new Error(
                    `${bin} is not installed: apt-get install ${pkg} (.ci/run does)`
                )
        const s = new SipSite(password, !!opts.followRedirects)
        try {
            s.kamPort = await freeSipPort(HOST)
            s.trunkPort = await freeSipPort(HOST)
            await s.startTrunk()
            await s.startKamailio()
        } catch (e) {
            await s.stop()
            throw e
        }
        return s
    }

    server(transport: Transport = "udp"): SipServer {
        return { host: HOST, port: this.kamPort, transport }
    }

    private spawnLogged(cmd: string, args: string[], name: string) {
        const p = spawn(cmd, args, {
            cwd: this.dir,
            stdio: ["ignore", "pipe", "pipe"],
        })
        let out = ""
        p.stdout!.on("data", d => (out += d))
        p.stderr!.on("data", d => {
            out += d
            if (name === "kamailio") this.kamLog += d
        })
        // (the directory may be gone already when a test's clean-up was first)
        p.on("exit", () => {
            try {
                writeFileSync(join(this.dir, name + ".out"), out)
            } catch {}
        })
        this.procs.push(p)
        return p
    }

    /** Starts Kamailio (again, after stopKamailio: the same port, no registrations). */
    async startKamailio() {
        const cfg = readFileSync(
            join(FIXTURES, "kamailio", "kamailio.cfg"),
            "utf8"
        )
            .replaceAll("@PORT@", String(this.kamPort))
            .replaceAll("@TRUNK@", `${HOST}:${this.trunkPort}`)
            .replaceAll("@PASSWORD@", this.password)
            .replaceAll("@SERVER@", HOST)
        const file = join(this.dir, "kamailio.cfg")
        writeFileSync(file, cfg)
        this.kamailio = this.spawnLogged(
            KAMAILIO,
            [
                "-DD",
                "-E",
                "-f",
                file,
                "-P",
                join(this.dir, "kamailio.pid"),
                "-Y",
                this.dir,
                "-w",
                this.dir,
                ...(this.followRedirects ? ["-A", "FOLLOW_REDIRECTS"] : []),
            ],
            "kamailio"
        )
        await waitSipUp(this.kamPort)
    }

    /** Kamailio gone (the server down): its process killed. */
    async stopKamailio() {
        const k = this.kamailio
        if (!k || k.exitCode !== null) return
        const gone = new Promise(r => k.once("exit", r))
        k.kill("SIGTERM")
        await gone
    }

    private async startTrunk() {
        const media = await freeSipPort(HOST)
        const file = join(this.dir, "trunk.xml")
        writeFileSync(file, trunkScenario())
        this.spawnLogged(
            "sipp",
            [
                "-sf",
                file,
                "-i",
                HOST,
                "-p",
                String(this.trunkPort),
                "-mp",
                String(media),
                "-t",
                "u1",
                "-nostdin",
                "-trace_logs",
                "-log_file",
                this.trunkLogFile,
                "-trace_err",
                "-error_file",
                join(this.dir, "trunk.err"),
            ],
            "trunk"
        )
        await waitBound(this.trunkPort)
    }

    private get trunkLogFile() {
        return join(this.dir, "trunk.log")
    }

    /** The Request-URIs of the INVITEs the trunk got, in order. */
    trunkInvites(): string[] {
        if (!existsSync(this.trunkLogFile)) return []
        return readFileSync(this.trunkLogFile, "utf8")
            .split("\n")
            .map(l => /INVITE (sip:\S+)/.exec(l)?.[1])
            .filter((u): u is string => !!u && !u.startsWith(`sip:${HOST}`))
    }

    /** Waits for an INVITE to the trunk whose Request-URI `match`es. */
    async waitTrunkInvite(
        match: RegExp,
        timeoutMs = 15000
    ): Promise<string | undefined> {
        const t0 = Date.now()
        while (Date.now() - t0 < timeoutMs) {
            const u = this.trunkInvites().find(u => match.test(u))
            if (u) return u
            await sleep(20)
        }
        return undefined
    }

    /**
     * SIPp calls extension `ext` through Kamailio (caller.xml, or
     * `opts.scenario` in test/fixtures/sipp/, with `opts.args`), to its end.
     */
    async call(
        ext: string,
        timeoutS = 90,
        opts: { scenario?: string; args?: string[]; messages?: boolean } = {}
    ): Promise<CallerRun> {
        const port = await freeSipPort(HOST)
        const media = await freeSipPort(HOST)
        const log = join(this.dir, `caller-${ext}-${port}.log`)
        const messages = join(this.dir, `caller-${ext}-${port}.messages`)
        const p = this.spawnLogged(
            "sipp",
            [
                `${HOST}:${this.kamPort}`,
                "-sf",
                join(
                    FIXTURES,
                    "sipp",
                    opts.scenario ??
                        (this.followRedirects
                            ? "caller-direct.xml"
                            : "caller.xml")
                ),
                ...(opts.args ?? []),
                ...(opts.messages
                    ? ["-trace_msg", "-message_file", messages]
                    : []),
                "-s",
                ext,
                "-i",
                HOST,
                "-p",
                String(port),
                "-mp",
                String(media),
                "-t",
                "u1",
                "-m",
                "1",
                "-nostdin",
                "-trace_logs",
                "-log_file",
                log,
                "-timeout",
                `${timeoutS}s`,
                "-timeout_error",
                "-trace_err",
                "-error_file",
                log + ".err",
            ],
            "caller-" + ext
        )
        let out = ""
        p.stdout!.on("data", d => (out += d))
        p.stderr!.on("data", d => (out += d))
        const code = await new Promise<number | null>(r => p.once("exit", r))
        const read = (f: string) =>
            existsSync(f) ? readFileSync(f, "utf8") : ""
        return {
            code,
            log: read(log),
            out: out + read(log + ".err"),
            messages: read(messages),
        }
    }

    async stop() {
        for (const p of this.procs)
            if (p.exitCode === null && p.signalCode === null) {
                const gone = new Promise(r => p.once("exit", r))
                p.kill("SIGTERM")
                await Promise.race([gone, sleep(3000)])
                if (p.exitCode === null && p.signalCode === null)
                    p.kill("SIGKILL")
            }
        if (!process.env["DIALGUARD_KEEP_SIP"])
            rmSync(this.dir, { recursive: true, force: true })
    }
}
