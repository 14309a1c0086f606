// baresip (Debian package `baresip`) as a real softphone extension of the
// test site: its own config directory, one account registered with the
// site's Kamailio, driven and watched over its ctrl_tcp module (JSON in
// netstrings: commands such as `dial` and `hangup`, events such as
// REGISTER_OK, CALL_ESTABLISHED, CALL_CLOSED). Audio: a sine tone as its
// microphone, a bridge device as its speaker.
import { ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { Socket, connect } from "node:net"
import { join } from "node:path"
import { freeSipPort } from "../sim/sip/lines"

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

export interface BaresipEvent {
    t: number
    type: string
    class?: string
    param?: string
    peeruri?: string
    [k: string]: unknown
}

export const baresipInstalled = () => !spawnSync("baresip", ["-h"]).error

export class Baresip {
    events: BaresipEvent[] = []
    private proc?: ChildProcess
    private ctrl?: Socket
    private buf = ""
    private replies = new Map<
        string,
        (r: { ok: boolean; data: string }) => void
    >()
    private token = 0
    out = ""

    private constructor(
        readonly extension: string,
        readonly address: string,
        readonly sipPort: number,
        readonly ctrlPort: number
    ) {}

    /** Starts baresip as `extension`, registering with kamailio at host:port. */
    static async start(opts: {
        dir: string
        extension: string
        password: string
        server: { host: string; port: number }
        /** Answers every call at once (answermode=auto). */
        autoAnswer?: boolean
        address?: string
    }): Promise<Baresip> {
        if (!baresipInstalled())
            throw new Error(
                "baresip is not installed: apt-get install baresip (.ci/run does)"
            )
        const address = opts.address ?? "127.0.0.3"
        const b = new Baresip(
            opts.extension,
            address,
            await freeSipPort(address),
            await freeSipPort(address)
        )
        const dir = join(opts.dir, `baresip-${opts.extension}`)
        mkdirSync(dir, { recursive: true })
        const { host, port } = opts.server
        writeFileSync(
            join(dir, "config"),
            [
                "poll_method epoll",
                `sip_listen ${address}:${b.sipPort}`,
                "call_local_timeout 120",
                // a 440 Hz tone as the microphone (ausine is 48 kHz stereo only);
                // the speaker an aubridge device nobody listens to
                "audio_source ausine,440",
                "ausrc_srate 48000",
                "ausrc_channels 2",
                "audio_player aubridge,speaker",
                "audio_alert aubridge,alert",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module ausine.so",
                "module aubridge.so",
                "module_tmp account.so",
                "module_app menu.so",
                "module_app ctrl_tcp.so",
                `ctrl_tcp_listen ${address}:${b.ctrlPort}`,
                "",
            ].join("\n")
        )
        writeFileSync(
            join(dir, "accounts"),
            `<sip:${opts.extension}@${host}:${port};transport=udp>;auth_pass=${opts.password};regint=60;audio_codecs=pcmu;answermode=${opts.autoAnswer ? "auto" : "manual"}\n`
        )
        const p = spawn("baresip", ["-f", dir, "-n", address], {
            cwd: dir,
            stdio: ["ignore", "pipe", "pipe"],
        })
        b.proc = p
        p.stdout!.on("data", d => (b.out += d))
        p.stderr!.on("data", d => (b.out += d))
        try {
            await b.connectCtrl()
        } catch (e) {
            await b.stop()
            throw e
        }
        return b
    }

    private async connectCtrl() {
        const t0 = Date.now()
        for (;;) {
            if (this.proc?.exitCode !== null)
                throw new Error(`baresip exited: ${this.out}`)
            const s = await new Promise<Socket | undefined>(resolve => {
                const c = connect(this.ctrlPort, this.address)
                c.once("connect", () => resolve(c))
                c.once("error", () => resolve(undefined))
            })
            if (s) {
                this.ctrl = s
                s.on("data", d => this.onData(d.toString("utf8")))
                s.on("error", () => {})
                return
            }
            if (Date.now() - t0 > 15000)
                throw new Error(
                    `baresip's ctrl_tcp never listened: ${this.out}`
                )
            await sleep(50)
        }
    }

    private onData(text: string) {
        this.buf += text
        for (;;) {
            const colon = this.buf.indexOf(":")
            if (colon < 0) return
            const n = Number(this.buf.slice(0, colon))
            if (this.buf.length < colon + 1 + n + 1) return
            const json = this.buf.slice(colon + 1, colon + 1 + n)
            this.buf = this.buf.slice(colon + 1 + n + 1)
            let m: Record<string, unknown>
            try {
                m = JSON.parse(json)
            } catch {
                continue
            }
            if (m.event)
                this.events.push({ t: Date.now(), ...m } as BaresipEvent)
            else if (m.response) {
                const r = this.replies.get(String(m.token))
                this.replies.delete(String(m.token))
                r?.({ ok: !!m.ok, data: String(m.data ?? "") })
            }
        }
    }

    /** A ctrl_tcp command; its reply. */
    command(
        command: string,
        params = ""
    ): Promise<{ ok: boolean; data: string }> {
        const token = String(++this.token)
        const json = JSON.stringify({ command, params, token })
        return new Promise(resolve => {
            this.replies.set(token, resolve)
            this.ctrl!.write(`${Buffer.byteLength(json)}:${json},`)
        })
    }

    /**
     * Waits until its account is registered (ctrl_tcp `reginfo`: the
     * REGISTER_OK event may come before the control connection does).
     */
    async waitRegistered(timeoutMs = 15000) {
        const t0 = Date.now()
        let last = ""
        for (;;) {
            // (without its colours)
            last = (await this.command("reginfo")).data.replace(
                /\x1b\[[0-9;]*m/g,
                ""
            )
            if (/\bOK\b/.test(last)) return last
            if (Date.now() - t0 > timeoutMs)
                throw new Error(
                    `baresip ${this.extension} is not registered: ${last}; output: ${this.out.slice(-2000)}`
                )
            await sleep(100)
        }
    }

    /** The first event of `type` since `since` (ms since 1970). */
    async waitEvent(
        type: string,
        since = 0,
        timeoutMs = 15000
    ): Promise<BaresipEvent> {
        const t0 = Date.now()
        for (;;) {
            const e = this.events.find(e => e.t >= since && e.type === type)
            if (e) return e
            if (Date.now() - t0 > timeoutMs)
                throw new Error(
                    `baresip ${this.extension}: no ${type} within ${timeoutMs} ms; events: ${this.events.map(e => e.type).join(", ")}; output: ${this.out.slice(-2000)}`
                )
            await sleep(20)
        }
    }

    async stop() {
        this.ctrl?.destroy()
        const p = this.proc
        if (!p || p.exitCode !== null || p.signalCode !== null) return
        const gone = new Promise(r => p.once("exit", r))
        p.kill("SIGTERM")
        await Promise.race([gone, sleep(3000)])
        if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL")
    }
}
