// One SIP user agent (RFC 3261) per simulated port: registers the port's
// extension, places and receives its calls, and reports them as SIP Line
// events (services/sipline.md). npm `sip` does the parsing, the
// transports and the transactions (retransmissions, timers B/F, the ACK of
// a non-2xx); this file is the UA core on top: registration and its
// refresh, digest answers, dialogs (ACK of a 2xx, BYE, CANCEL), redirects,
// and the retransmission of our 2xx to an INVITE until its ACK (RFC 3261
// §13.3.1.4: the UA core's job, which npm `sip` leaves to it: its INVITE
// server transaction sends a 2xx once and absorbs the INVITE's
// retransmissions, RFC 6026).
import { randomBytes } from "node:crypto"
import sip from "sip"
import type { NameAddr, SipMessage, SipStack } from "sip"
import digest from "sip/digest.js"
import type { DigestContext } from "sip/digest.js"
import { callerOf, divertedOf, diversionFor } from "./headers"
import {
    FailureName,
    RegistrationName,
    failureFor,
    isRingback,
} from "./mapping"
import { sdpAnswer, sdpOffer } from "./sdp"

export type Transport = "udp" | "tcp"

export interface SipServer {
    host: string
    port: number
    transport: Transport
}

/** What the line reports (the SIP Line events, plus the wire for the record). */
export interface LineEvents {
    registration(state: RegistrationName, why: string): void
    /** `redirectedBy`: who redirected it here last (the newest Diversion). */
    incomingCall(
        caller: string,
        divertedFrom: string,
        diversions: number,
        redirectedBy: string
    ): void
    remoteAnswered(): void
    remoteHungUp(): void
    callFailed(reason: FailureName, status: number): void
    /** 180/183 on our outgoing call. */
    ringback?(status: number): void
    /** A request or response sent or received (its first line). */
    wire?(dir: "out" | "in", line: string, m: SipMessage): void
}

export interface UserAgentOptions {
    extension: string
    server: SipServer
    /** Digest user (default the extension) and password (none: no auth). */
    authUser?: string
    password?: string
    /** Where this UA listens (the Contact), on the server's transport. */
    localAddress: string
    localPort: number
    /** Registration lifetime asked for, s (default 300). */
    expires?: number
    /** After a failed registration, try again after this long (default 30 s). */
    retryMs?: number
    /**
     * RFC 3261 T1 and T2, ms (default 500 and 4000): our 2xx to an INVITE
     * is sent again after T1, 2*T1, ... at most T2 apart until its ACK;
     * none after 64*T1: the call is ended with a BYE (§13.3.1.4).
     */
    t1Ms?: number
    t2Ms?: number
    /** Seen busy: an incoming call is refused 486 (the handset off the hook). */
    busy?: () => boolean
    events: LineEvents
}

interface Call {
    dir: "out" | "in"
    callId: string
    localTag: string
    state: "calling" | "ringing" | "connected"
    /** Outgoing: the INVITE as last sent (for CANCEL); incoming: as received. */
    invite: SipMessage
    /** Remote party (the To of ours, the From of theirs), with its tag once known. */
    remote?: NameAddr
    remoteTarget?: string
    routeSet: NameAddr[]
    cseq: number
    /** Outgoing: hung up by us before the far end answered. */
    cancelled?: boolean
    /** A 1xx arrived (a CANCEL may be sent). */
    provisional?: boolean
    redirects: number
    /** Diversion from the 302 we follow. */
    diversion?: string
    /** Incoming, answered: the 2xx sent again until its ACK. */
    okTimer?: NodeJS.Timeout
}

const MAX_REDIRECTS = 5
const MAX_AUTH = 2

const token = () => randomBytes(6).toString("hex")

export class SipUserAgent {
    private stack?: SipStack
    private regCallId = token() + "@dialguard"
    private regTag = token()
    private regCseq = 0
    private regTimer?: NodeJS.Timeout
    private auth: DigestContext = {}
    private proxyAuth: DigestContext = {}
    private call?: Call
    state: RegistrationName = "Unregistered"
    /** The last registration failure ("" when registered). */
    lastError = ""
    private stopped = false

    constructor(readonly opts: UserAgentOptions) {}

    private get t() {
        return this.opts.server.transport
    }
    private get domain() {
        return this.opts.server.host
    }
    /** sip:HOST:PORT[;transport=tcp] */
    private serverUri(user?: string) {
        const s = this.opts.server
        const tp = this.t === "tcp" ? ";transport=tcp" : ""
        return `sip:${user ? user + "@" : ""}${s.host}:${s.port}${tp}`
    }
    private get aor() {
        return `sip:${this.opts.extension}@${this.domain}`
    }
    private get contact(): NameAddr[] {
        const tp = this.t === "tcp" ? ";transport=tcp" : ""
        return [
            {
                uri: `sip:${this.opts.extension}@${this.opts.localAddress}:${this.opts.localPort}${tp}`,
                params: {},
            },
        ]
    }

    /** Opens the transport and registers. */
    start() {
        const o = this.opts
        this.stack = sip.create(
            {
                address: o.localAddress,
                port: o.localPort,
                publicAddress: o.localAddress,
                udp: this.t === "udp",
                tcp: this.t === "tcp",
                logger: {
                    send: m => this.wire("out", m),
                    recv: m => this.wire("in", m),
                },
            },
            rq => this.onRequest(rq)
        )
        this.register()
    }

    private wire(dir: "out" | "in", m: SipMessage) {
        const line = m.method
            ? `${m.method} ${typeof m.uri === "string" ? m.uri : sip.stringifyUri(m.uri as never)}`
            : `${m.status} ${m.reason ?? ""}`
        this.opts.events.wire?.(dir, line, m)
    }

    private setState(s: RegistrationName, why = "") {
        this.lastError = s === "Failed" ? why : ""
        if (s === this.state) return
        this.state = s
        this.opts.events.registration(s, why)
    }

    /**
     * Sends `rq` (a new transaction), answering 401/407 challenges with
     * `ctx`'s credentials; `onResponse` sees every other response.
     */
    private send(
        rq: SipMessage,
        ctx: { www: DigestContext; proxy: DigestContext },
        onResponse: (rs: SipMessage) => void,
        nextCseq: () => number,
        tries = 0
    ) {
        if (!this.stack || this.stopped) return
        this.stack.send(rq, rs => {
            const status = rs.status ?? 0
            if ((status === 401 || status === 407) && tries < MAX_AUTH) {
                if (this.opts.password === undefined) return onResponse(rs)
                rq.headers.via?.shift()
                rq.headers.cseq = { method: rq.method!, seq: nextCseq() }
                digest.signRequest(
                    status === 401 ? ctx.www : ctx.proxy,
                    rq,
                    rs,
                    {
                        user: this.opts.authUser ?? this.opts.extension,
                        password: this.opts.password,
                    }
                )
                return this.send(rq, ctx, onResponse, nextCseq, tries + 1)
            }
            onResponse(rs)
        })
    }

    private register(expires = this.opts.expires ?? 300) {
        clearTimeout(this.regTimer)
        if (this.state !== "Registered" && expires > 0)
            this.setState("Registering")
        const rq: SipMessage = {
            method: "REGISTER",
            uri: this.serverUri(),
            headers: {
                to: { uri: this.aor, params: {} },
                from: { uri: this.aor, params: { tag: this.regTag } },
                "call-id": this.regCallId,
                cseq: { method: "REGISTER", seq: ++this.regCseq },
                contact: this.contact,
                expires,
                "max-forwards": 70,
                "user-agent": "DialGuard-sim",
            },
        }
        // sign a refresh with the last challenge (saves a round trip)
        if (this.auth["nonce"]) digest.signRequest(this.auth, rq)
        this.send(
            rq,
            { www: this.auth, proxy: this.proxyAuth },
            rs => {
                if (expires === 0) return
                const status = rs.status ?? 0
                if (status < 200) return
                if (status < 300) {
                    this.setState("Registered")
                    const granted = this.grantedExpires(rs, expires)
                    // refresh at half the lifetime granted (RFC 3261 §10.2.4 leaves it to the UA)
                    this.regTimer = setTimeout(
                        () => this.register(),
                        Math.max(500, (granted * 1000) / 2)
                    )
                    return
                }
                this.auth = {}
                this.setState(
                    "Failed",
                    `REGISTER: ${status} ${rs.reason ?? ""}`.trim()
                )
                this.regTimer = setTimeout(
                    () => this.register(),
                    this.opts.retryMs ?? 30000
                )
            },
            () => ++this.regCseq
        )
    }

    private grantedExpires(rs: SipMessage, asked: number): number {
        const mine = this.contact[0].uri
        const cs = Array.isArray(rs.headers.contact) ? rs.headers.contact : []
        const c = cs.find(c => c.uri === mine) ?? cs[0]
        const e = Number(c?.params["expires"] ?? rs.headers.expires ?? asked)
        return Number.isFinite(e) && e > 0 ? e : asked
    }

    // --- calls: orders from the firmware

    dial(number: string) {
        if (this.call) this.hangUp()
        const call: Call = {
            dir: "out",
            callId: token() + "@dialguard",
            localTag: token(),
            state: "calling",
            invite: undefined as never,
            routeSet: [],
            cseq: 0,
            redirects: 0,
        }
        this.call = call
        this.invite(
            call,
            this.serverUri(number),
            `sip:${number}@${this.domain}`
        )
    }

    private invite(call: Call, requestUri: string, toUri: string) {
        const o = this.opts
        const rq: SipMessage = {
            method: "INVITE",
            uri: requestUri,
            headers: {
                to: { uri: toUri, params: {} },
                from: { uri: this.aor, params: { tag: call.localTag } },
                "call-id": call.callId,
                cseq: { method: "INVITE", seq: ++call.cseq },
                contact: this.contact,
                "max-forwards": 70,
                "user-agent": "DialGuard-sim",
                "content-type": "application/sdp",
                ...(call.diversion ? { diversion: call.diversion } : {}),
            },
            content: sdpOffer(o.localAddress, o.localPort + 2),
        }
        call.invite = rq
        call.provisional = false
        this.send(
            rq,
            { www: this.auth, proxy: this.proxyAuth },
            rs => this.onInviteResponse(call, rs),
            () => ++call.cseq
        )
    }

    private onInviteResponse(call: Call, rs: SipMessage) {
        const status = rs.status ?? 0
        const current = this.call === call
        if (status < 200) {
            if (status > 100) call.provisional = true
            if (!current) return
            if (call.cancelled) return this.sendCancel(call)
            if (isRingback(status)) {
                call.state = "ringing"
                this.opts.events.ringback?.(status)
            }
            return
        }
        if (status < 300) {
            call.remote = rs.headers.to
            const cs = rs.headers.contact
            call.remoteTarget =
                Array.isArray(cs) && cs[0] ? cs[0].uri : undefined
            call.routeSet = [...(rs.headers["record-route"] ?? [])].reverse()
            this.ack(call, rs)
            if (call.state === "connected") return // a retransmitted 200
            if (!current || call.cancelled) {
                // answered as we hung up (200 crossing our CANCEL)
                this.bye(call)
                return
            }
            call.state = "connected"
            this.opts.events.remoteAnswered()
            return
        }
        if (!current) return
        if (status < 400) return this.followRedirect(call, rs)
        this.call = undefined
        if (call.cancelled) return // our own CANCEL (487): the firmware knows
        this.opts.events.callFailed(failureFor(status), status)
    }

    /** A 3xx: the next INVITE to its best Contact (highest q first). */
    private followRedirect(call: Call, rs: SipMessage) {
        const cs = Array.isArray(rs.headers.contact) ? rs.headers.contact : []
        const best = [...cs].sort(
            (a, b) => Number(b.params["q"] ?? 1) - Number(a.params["q"] ?? 1)
        )[0]
        if (!best || call.redirects >= MAX_REDIRECTS) {
            this.call = undefined
            this.opts.events.callFailed("Unreachable", rs.status ?? 0)
            return
        }
        call.redirects++
        const d = rs.headers["diversion"]
        if (d) call.diversion = Array.isArray(d) ? d.join(",") : String(d)
        this.invite(call, best.uri, best.uri)
    }

    private ack(call: Call, rs: SipMessage) {
        const ack: SipMessage = {
            method: "ACK",
            uri: call.remoteTarget ?? call.invite.uri,
            headers: {
                to: rs.headers.to,
                from: call.invite.headers.from,
                "call-id": call.callId,
                cseq: { method: "ACK", seq: rs.headers.cseq?.seq ?? call.cseq },
                "max-forwards": 70,
                ...(call.routeSet.length ? { route: call.routeSet } : {}),
                via: [],
            },
        }
        this.stack?.send(ack)
    }

    private sendCancel(call: Call) {
        const inv = call.invite
        const cancel: SipMessage = {
            method: "CANCEL",
            uri: inv.uri,
            headers: {
                to: inv.headers.to,
                from: inv.headers.from,
                "call-id": inv.headers["call-id"],
                cseq: { method: "CANCEL", seq: inv.headers.cseq!.seq },
                via: inv.headers.via ? [inv.headers.via[0]] : [],
                "max-forwards": 70,
            },
        }
        this.stack?.send(cancel, () => {})
    }

    private bye(call: Call) {
        const incoming = call.dir === "in"
        const rq: SipMessage = {
            method: "BYE",
            uri: call.remoteTarget ?? call.invite.uri,
            headers: {
                to: call.remote,
                from: incoming
                    ? {
                          ...call.invite.headers.to!,
                          params: {
                              ...call.invite.headers.to!.params,
                              tag: call.localTag,
                          },
                      }
                    : call.invite.headers.from,
                "call-id": call.callId,
                cseq: { method: "BYE", seq: ++call.cseq },
                "max-forwards": 70,
                ...(call.routeSet.length ? { route: call.routeSet } : {}),
            },
        }
        this.stack?.send(rq, () => {})
    }

    /** An incoming call rings here (not answered, redirected or hung up yet). */
    get ringing(): boolean {
        return this.call?.dir === "in" && this.call.state === "ringing"
    }

    answer() {
        const call = this.call
        if (!call || call.dir !== "in" || call.state !== "ringing") return
        call.state = "connected"
        const o = this.opts
        const ok = this.respond(
            call.invite,
            200,
            "OK",
            call,
            {
                contact: this.contact,
                "content-type": "application/sdp",
            },
            sdpAnswer(call.invite.content, o.localAddress, o.localPort + 2)
        )
        this.retransmitOk(call, ok)
    }

    hangUp() {
        const call = this.call
        if (!call) return
        this.call = undefined
        this.endRetransmission(call)
        if (call.state === "connected") return this.bye(call)
        if (call.dir === "in") {
            // the called handset turned a ringing call away
            return this.respond(call.invite, 603, "Decline", call)
        }
        call.cancelled = true
        if (call.provisional) this.sendCancel(call)
    }

    /**
     * 302 Moved Temporarily: one Contact per target (q 1.0, 0.9, ...) and a
     * Diversion entry for this extension above the INVITE's own.
     */
    redirect(targets: string) {
        const call = this.call
        if (!call || call.dir !== "in" || call.state !== "ringing") return
        this.call = undefined
        const s = this.opts.server
        const contact = targets
            .split(" ")
            .filter(t => t !== "")
            .slice(0, 8)
            .map((t, i) => ({
                uri: `sip:${t}@${s.host}:${s.port}`,
                params: { q: (1 - i / 10).toFixed(1) },
            }))
        this.respond(call.invite, 302, "Moved Temporarily", call, {
            contact,
            diversion: diversionFor(
                this.opts.extension,
                this.domain,
                call.invite.headers
            ),
        })
    }

    private respond(
        rq: SipMessage,
        status: number,
        reason: string,
        call?: Call,
        headers: Record<string, unknown> = {},
        content?: string
    ) {
        const rs = sip.makeResponse(rq, status, reason, { headers, content })
        // the route set of the dialog (RFC 3261 §12.1.1)
        const rr = rq.headers["record-route"]
        if (rq.method === "INVITE" && status < 300 && rr)
            rs.headers["record-route"] = rr
        if (call && rq.method === "INVITE")
            rs.headers.to = {
                ...rq.headers.to!,
                params: { ...rq.headers.to!.params, tag: call.localTag },
            }
        this.stack?.send(rs)
        return rs
    }

    /**
     * Our 2xx to `call`'s INVITE again after T1, then at twice the last
     * interval (at most T2), until its ACK (ackReceived) or the call ends;
     * without an ACK for 64*T1, the call is over: BYE, `remote_hung_up`.
     * The transaction holds the 2xx for those 64*T1 (RFC 6026 Accepted,
     * timer L), so the stack sends it where the first one went.
     */
    private retransmitOk(call: Call, ok: SipMessage) {
        const t1 = this.opts.t1Ms ?? 500
        const t2 = this.opts.t2Ms ?? 4000
        const giveUp = Date.now() + 64 * t1
        const over = () => {
            call.okTimer = undefined
            if (this.call !== call || this.stopped) return
            this.call = undefined
            this.opts.events.wire?.("out", `no ACK for ${64 * t1} ms`, ok)
            this.bye(call)
            this.opts.events.remoteHungUp()
        }
        // the next one after `interval`, unless 64*T1 are over by then
        const again = (interval: number) => {
            const left = giveUp - Date.now()
            if (interval >= left) {
                call.okTimer = setTimeout(over, Math.max(0, left))
                return
            }
            call.okTimer = setTimeout(() => {
                call.okTimer = undefined
                if (this.call !== call || this.stopped) return
                this.stack?.send(ok)
                again(Math.min(interval * 2, t2))
            }, interval)
        }
        again(t1)
    }

    private endRetransmission(call?: Call) {
        if (call?.okTimer) clearTimeout(call.okTimer)
        if (call) call.okTimer = undefined
    }

    // --- requests from the network

    private onRequest(rq: SipMessage) {
        const callId = rq.headers["call-id"]
        const call = this.call?.callId === callId ? this.call : undefined
        switch (rq.method) {
            case "INVITE":
                if (rq.headers.to?.params["tag"]) {
                    // a re-INVITE in our dialog: keep the media as it is
                    if (call)
                        return this.respond(
                            rq,
                            200,
                            "OK",
                            call,
                            {
                                contact: this.contact,
                                "content-type": "application/sdp",
                            },
                            sdpAnswer(
                                rq.content,
                                this.opts.localAddress,
                                this.opts.localPort + 2
                            )
                        )
                    return this.respond(
                        rq,
                        481,
                        "Call/Transaction Does Not Exist"
                    )
                }
                return this.onInvite(rq)
            case "ACK":
                // the ACK of our 2xx (its CSeq the INVITE's)
                if (
                    call?.dir === "in" &&
                    rq.headers.cseq?.seq === call.invite.headers.cseq?.seq
                )
                    this.endRetransmission(call)
                return
            case "CANCEL": {
                this.respond(rq, 200, "OK")
                if (call && call.dir === "in" && call.state === "ringing") {
                    this.call = undefined
                    this.respond(call.invite, 487, "Request Terminated", call)
                    this.opts.events.remoteHungUp()
                }
                return
            }
            case "BYE":
                if (!call)
                    return this.respond(
                        rq,
                        481,
                        "Call/Transaction Does Not Exist"
                    )
                this.respond(rq, 200, "OK")
                this.call = undefined
                this.endRetransmission(call)
                this.opts.events.remoteHungUp()
                return
            case "OPTIONS":
                return this.respond(rq, 200, "OK", undefined, {
                    allow: "INVITE, ACK, CANCEL, BYE, OPTIONS",
                })
            default:
                return this.respond(rq, 405, "Method Not Allowed", undefined, {
                    allow: "INVITE, ACK, CANCEL, BYE, OPTIONS",
                })
        }
    }

    private onInvite(rq: SipMessage) {
        if (this.call || this.opts.busy?.())
            return this.respond(rq, 486, "Busy Here")
        const cs = rq.headers.contact
        const call: Call = {
            dir: "in",
            callId: rq.headers["call-id"]!,
            localTag: token(),
            state: "ringing",
            invite: rq,
            remote: rq.headers.from,
            remoteTarget: Array.isArray(cs) && cs[0] ? cs[0].uri : undefined,
            routeSet: [...(rq.headers["record-route"] ?? [])],
            cseq: 0,
            redirects: 0,
        }
        this.call = call
        this.respond(rq, 180, "Ringing", call, { contact: this.contact })
        const d = divertedOf(rq.headers)
        this.opts.events.incomingCall(
            callerOf(rq.headers),
            d.divertedFrom,
            d.diversions,
            d.redirectedBy
        )
    }

    /** Unregisters (expires 0) and closes the transport. */
    async stop() {
        if (this.stopped) return
        clearTimeout(this.regTimer)
        if (this.call) this.hangUp()
        if (this.state === "Registered") {
            this.register(0)
            await new Promise(r => setTimeout(r, 100))
        }
        this.stopped = true
        this.stack?.destroy()
        this.stack = undefined
    }
}
