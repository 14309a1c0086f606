// The simulated board's SIP Line services backed by real SIP: one
// SipUserAgent per simulated port, its events sent to the firmware as the
// port's SIP Line events and recorded like the simulated exchange's
// (sim/exchange.ts), so scenarios and expectations read the same.
import { createServer } from "node:net"
import { createSocket } from "node:dgram"
import type { CommandInfo, SimPort } from "../devices"
import type { Exchange } from "../exchange"
import type { Recorder } from "../../src/board/record"
import { FAILURE, REGISTRATION } from "./mapping"
import { SipLineOptions, localAddressFor } from "./options"
import { SipUserAgent } from "./userAgent"

/** What a session's ports send their SIP Line orders to. */
export interface LineBackend {
    onCommand(port: SimPort, cmd: CommandInfo): void
    stop(): void | Promise<void>
}

/** A port free for both UDP and TCP on `address` (+2 for the SDP's RTP port is not bound). */
export async function freeSipPort(address: string): Promise<number> {
    for (let i = 0; i < 20; i++) {
        const port = await new Promise<number>((resolve, reject) => {
            const srv = createServer()
            srv.once("error", reject)
            srv.listen(0, address, () => {
                const p = (srv.address() as { port: number }).port
                srv.close(() => resolve(p))
            })
        })
        const udpFree = await new Promise<boolean>(resolve => {
            const s = createSocket("udp4")
            s.once("error", () => resolve(false))
            s.bind(port, address, () => s.close(() => resolve(true)))
        })
        if (udpFree) return port
    }
    throw new Error(`no free port for SIP on ${address}`)
}

export class SipLines implements LineBackend {
    readonly agents = new Map<SimPort, SipUserAgent>()

    constructor(
        private rec: Recorder,
        /** Records the handset's orders (ring, tone) as without SIP. */
        private exchange: Exchange,
        private opts: SipLineOptions
    ) {}

    async start(ports: SimPort[]) {
        const local =
            this.opts.localAddress ?? (await localAddressFor(this.opts.server))
        for (const port of ports) {
            const at = { port: port.index, ext: port.extension }
            const ua: SipUserAgent = new SipUserAgent({
                extension: port.extension,
                server: this.opts.server,
                password: this.opts.password,
                authUser: this.opts.authUser,
                localAddress: local,
                localPort: await freeSipPort(local),
                expires: this.opts.expires,
                retryMs: this.opts.retryMs,
                busy: () => port.offHook,
                events: {
                    registration: (state, why) => {
                        this.rec.add("registration", {
                            ...at,
                            state,
                            ...(why ? { why } : {}),
                        })
                        void port.registration(REGISTRATION[state])
                    },
                    incomingCall: (
                        caller,
                        divertedFrom,
                        diversions,
                        redirectedBy
                    ) => {
                        // as the simulated exchange records a redirect
                        // taken (what a scenario's expectForwarded reads):
                        // the port that redirected the call here, from
                        // its Diversion (in a site, that port may be on
                        // another board: the record is the site's)
                        if (redirectedBy)
                            this.rec.add("forwarded", {
                                from: redirectedBy,
                                to: port.extension,
                                divertedFrom,
                                diversions,
                            })
                        this.rec.add("incoming", {
                            ...at,
                            caller,
                            divertedFrom,
                            diversions,
                        })
                        void port.incomingCall(caller, divertedFrom, diversions)
                    },
                    remoteAnswered: () => {
                        this.rec.add("remoteAnswered", at)
                        void port.remoteAnswered()
                    },
                    remoteHungUp: () => {
                        this.rec.add("remoteHungUp", at)
                        void port.remoteHungUp()
                    },
                    callFailed: (reason, status) => {
                        this.rec.add("callFailed", { ...at, reason, status })
                        void port.callFailed(FAILURE[reason])
                    },
                    ringback: status =>
                        this.rec.add("ringback", { ...at, status }),
                    wire: (dir, line) =>
                        this.rec.add("sip", { ...at, dir, line }),
                },
            })
            this.agents.set(port, ua)
            ua.start()
        }
    }

    onCommand(port: SimPort, cmd: CommandInfo) {
        const ua = this.agents.get(port)
        if (cmd.service === "handset" || !ua)
            return this.exchange.onCommand(port, cmd)
        const at = { port: port.index, ext: port.extension }
        const v = cmd.values
        switch (cmd.name) {
            case "dial":
                this.rec.add("dial", { ...at, number: v[0] as string })
                return ua.dial(v[0] as string)
            case "answer":
                this.rec.add("answer", at)
                return ua.answer()
            case "hang_up":
                this.rec.add("hangUp", at)
                return ua.hangUp()
            case "redirect":
                this.rec.add("redirect", { ...at, targets: v[0] as string })
                return ua.redirect(v[0] as string)
        }
        this.rec.add("command", { ...at, service: cmd.service, name: cmd.name })
    }

    async stop() {
        await Promise.all([...this.agents.values()].map(a => a.stop()))
    }
}
