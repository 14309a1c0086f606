// The simulator's SIP user agent (sim/sip/userAgent.ts) against real peers:
// Kamailio as the site's registrar and proxy, SIPp as the carrier trunk and
// an outside caller (test/sipHarness.ts). What the SIP Line contract
// (services/sipline.md, "SIP mapping") promises, over UDP and TCP.
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { freeSipPort } from "../sim/sip/lines"
import { FailureName, RegistrationName } from "../sim/sip/mapping"
import { SipUserAgent, Transport } from "../sim/sip/userAgent"
import { SipSite, tracedMessages } from "./sipHarness"

type Ev =
    | { e: "registration"; state: RegistrationName; why: string }
    | {
          e: "incoming"
          caller: string
          divertedFrom: string
          diversions: number
      }
    | { e: "answered" }
    | { e: "hungUp" }
    | { e: "failed"; reason: FailureName; status: number }
    | { e: "ringback"; status: number }

class Line {
    events: Ev[] = []
    wire: string[] = []
    ua!: SipUserAgent
    private waiters: (() => void)[] = []

    push(ev: Ev) {
        this.events.push(ev)
        for (const w of this.waiters.splice(0)) w()
    }

    /** Waits for the first event after `from` that `pred` accepts. */
    async next<T extends Ev["e"]>(
        e: T,
        from = 0,
        timeoutMs = 15000
    ): Promise<Extract<Ev, { e: T }>> {
        const t0 = Date.now()
        for (;;) {
            const hit = this.events.slice(from).find(x => x.e === e)
            if (hit) return hit as Extract<Ev, { e: T }>
            if (Date.now() - t0 > timeoutMs)
                throw new Error(
                    `${this.ua.opts.extension}: no ${e} within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(from))}`
                )
            await new Promise<void>(r => {
                this.waiters.push(r)
                setTimeout(r, 100)
            })
        }
    }
    get n() {
        return this.events.length
    }
}

const lines: Line[] = []
/** Not the server's address: npm `sip` takes that for its own (sim/sip/options.ts). */
const UA_HOST = "127.0.0.2"

async function line(
    site: SipSite,
    ext: string,
    transport: Transport = "udp",
    more: {
        password?: string
        expires?: number
        retryMs?: number
        t1Ms?: number
    } = {}
): Promise<Line> {
    const l = new Line()
    l.ua = new SipUserAgent({
        extension: ext,
        server: site.server(transport),
        password: "password" in more ? more.password : site.password,
        localAddress: UA_HOST,
        localPort: await freeSipPort(UA_HOST),
        expires: more.expires,
        retryMs: more.retryMs,
        t1Ms: more.t1Ms,
        events: {
            registration: (state, why) =>
                l.push({ e: "registration", state, why }),
            incomingCall: (caller, divertedFrom, diversions) =>
                l.push({ e: "incoming", caller, divertedFrom, diversions }),
            remoteAnswered: () => l.push({ e: "answered" }),
            remoteHungUp: () => l.push({ e: "hungUp" }),
            callFailed: (reason, status) =>
                l.push({ e: "failed", reason, status }),
            ringback: status => l.push({ e: "ringback", status }),
            wire: (dir, text) => l.wire.push(`${dir} ${text}`),
        },
    })
    lines.push(l)
    l.ua.start()
    return l
}

async function registered(l: Line) {
    for (let from = 0; ;) {
        const r = await l.next("registration", from)
        if (r.state === "Registered") return
        if (r.state === "Failed")
            throw new Error(`registration failed: ${r.why}`)
        from = l.events.indexOf(r) + 1
    }
}

let site: SipSite
beforeAll(async () => {
    site = await SipSite.start()
}, 30000)
afterAll(async () => {
    await Promise.all(lines.map(l => l.ua.stop()))
    await site?.stop()
})

describe.each(["udp", "tcp"] as const)("SIP line over %s", transport => {
    test("registers with digest auth (401) and calls out through the proxy (407) with exactly the digits dialled", async () => {
        const a = await line(
            site,
            transport === "udp" ? "8001" : "8201",
            transport
        )
        await registered(a)
        expect(a.wire).toContain(`in 401 Unauthorized`)
        const n = a.n
        a.ua.dial("1790901062345678")
        await a.next("answered", n)
        expect(a.wire.some(w => w.startsWith("in 407"))).toBe(true)
        expect(a.events.slice(n).some(e => e.e === "ringback")).toBe(true)
        expect(
            await site.waitTrunkInvite(/^sip:1790901062345678@/)
        ).toBeTruthy()
        a.ua.hangUp()
        await new Promise(r => setTimeout(r, 200))
        expect(a.wire).toContainEqual(expect.stringMatching(/^in 200 OK/))
    })

    test("a far-end BYE is remote_hung_up; a call hung up while ringing is cancelled", async () => {
        const a = await line(
            site,
            transport === "udp" ? "8002" : "8202",
            transport
        )
        await registered(a)
        let n = a.n
        a.ua.dial("99915551234")
        await a.next("answered", n)
        await a.next("hungUp", n)
        n = a.n
        a.ua.dial("99925551234")
        await a.next("ringback", n)
        a.ua.hangUp()
        await new Promise(r => setTimeout(r, 500))
        expect(a.wire.some(w => w.startsWith("out CANCEL"))).toBe(true)
        // the 487 after our own CANCEL is no failure for the firmware
        expect(a.events.slice(n).filter(e => e.e === "failed")).toEqual([])
    })
})

describe("SIP mapping", () => {
    const table: [number, FailureName][] = [
        [486, "Busy"],
        [600, "Busy"],
        [408, "NoAnswer"],
        [480, "NoAnswer"],
        [487, "NoAnswer"],
        [404, "Unreachable"],
        [484, "Unreachable"],
        [604, "Unreachable"],
        [503, "Unreachable"],
        [403, "Rejected"],
        [603, "Rejected"],
    ]
    test("every final response of the table gives its call_failed reason", async () => {
        const a = await line(site, "8003")
        await registered(a)
        const got: string[] = []
        for (const [code] of table) {
            const n = a.n
            a.ua.dial(`9990${code}1234`)
            const f = await a.next("failed", n)
            got.push(`${f.status} ${f.reason}`)
        }
        // a proxy turns a 503 from downstream into 500 (RFC 3261 §16.7):
        // 5xx are Unreachable as 503 is
        expect(got).toEqual(
            table.map(([c, r]) => `${c === 503 ? 500 : c} ${r}`)
        )
    })

    test("a REGISTER with the wrong password is Failed, with the reason", async () => {
        const a = await line(site, "8009", "udp", {
            password: "wrong",
            retryMs: 60000,
        })
        const r = await a.next("registration", 0)
        expect(r.state).toBe("Registering")
        let f = await a.next("registration", 1)
        expect(f).toMatchObject({ state: "Failed" })
        expect(f.why).toMatch(/^REGISTER: 401/)
    })
})

describe("calls in and redirects", () => {
    test("an outside call rings the extension; redirect answers 302 with Diversion; the caller follows it to the next, answered there", async () => {
        const a = await line(site, "8101")
        const b = await line(site, "8102")
        await Promise.all([registered(a), registered(b)])
        const na = a.n
        const nb = b.n
        const caller = site.call("8101")
        const inc = await a.next("incoming", na)
        expect(inc).toMatchObject({
            caller: "13912345678",
            divertedFrom: "",
            diversions: 0,
        })
        a.ua.redirect("8102 8103")
        const inb = await b.next("incoming", nb)
        expect(inb).toMatchObject({
            caller: "13912345678",
            divertedFrom: "8101",
            diversions: 1,
        })
        b.ua.answer()
        await b.next("hungUp", nb)
        const run = await caller
        expect(run.code, run.out + run.log).toBe(0)
        expect(run.log).toMatch(
            /302 contact sip:8102@127\.0\.0\.1:\d+ diversion\s*<sip:8101@127\.0\.0\.1>;reason=no-answer;counter=1/
        )
        expect(run.log).toMatch(/answered/)
        expect(a.events.slice(na).filter(e => e.e !== "incoming")).toEqual([])
    }, 60000)

    test("an internal call follows a 3xx; a call cancelled before the answer is remote_hung_up at the called line", async () => {
        const a = await line(site, "8111")
        const b = await line(site, "8112")
        const c = await line(site, "8113")
        await Promise.all([registered(a), registered(b), registered(c)])
        let [na, nb, nc] = [a.n, b.n, c.n]
        a.ua.dial("8112")
        expect(await b.next("incoming", nb)).toMatchObject({
            caller: "8111",
            divertedFrom: "",
        })
        b.ua.redirect("8113")
        expect(await c.next("incoming", nc)).toMatchObject({
            caller: "8111",
            divertedFrom: "8112",
            diversions: 1,
        })
        c.ua.answer()
        await a.next("answered", na)
        a.ua.hangUp()
        await c.next("hungUp", nc)
        ;[na, nb] = [a.n, b.n]
        a.ua.dial("8112")
        await b.next("incoming", nb)
        await a.next("ringback", na)
        a.ua.hangUp()
        await b.next("hungUp", nb)
    }, 60000)

    test("a call for a line in a call is refused busy (486)", async () => {
        const a = await line(site, "8121")
        const b = await line(site, "8122")
        const c = await line(site, "8123")
        await Promise.all([registered(a), registered(b), registered(c)])
        a.ua.dial("8122")
        await b.next("incoming", 0)
        const n = c.n
        c.ua.dial("8122")
        expect(await c.next("failed", n)).toMatchObject({
            status: 486,
            reason: "Busy",
        })
        a.ua.hangUp()
    }, 30000)
})

/** The 200s to the INVITE SIPp received, by its clock (ms since 1970). */
function okTimes(messages: string): number[] {
    return tracedMessages(messages)
        .filter(
            m =>
                m.dir === "received" &&
                /^SIP\/2\.0 200 /.test(m.text) &&
                /^CSeq:\s*1 INVITE/im.test(m.text)
        )
        .map(m => m.t)
}
const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i])

describe("our 200 to an INVITE, again until its ACK (RFC 3261 §13.3.1.4, UDP)", () => {
    test("a caller that ACKs late gets the 200 after T1, 2*T1, 4*T1, then every T2 (500, 1000, 2000, 4000, 4000 ms), and none after its ACK", async () => {
        const a = await line(site, "8151")
        await registered(a)
        const caller = site.call("8151", 60, {
            scenario: "caller-late-ack.xml",
            args: ["-d", "13000"],
            messages: true,
        })
        await a.next("incoming", 0)
        a.ua.answer()
        const run = await caller
        expect(run.code, run.out + run.log).toBe(0)
        const oks = okTimes(run.messages)
        const ack = tracedMessages(run.messages).find(
            m => m.dir === "sent" && /^ACK /.test(m.text)
        )!
        expect(ack).toBeTruthy()
        // sent at 0, 0.5, 1.5, 3.5, 7.5, 11.5 s; the ACK at 13 s
        expect(oks.filter(t => t < ack.t)).toHaveLength(6)
        expect(oks.filter(t => t > ack.t)).toEqual([])
        const g = gaps(oks)
        for (const [i, want] of [500, 1000, 2000, 4000, 4000].entries())
            expect(Math.abs(g[i] - want), `gaps ${g}`).toBeLessThan(150)
        console.log(`200 retransmissions before a 13 s late ACK: ${g}`)
        // the call goes on after the late ACK until SIPp hangs up
        expect(a.events.filter(e => e.e === "hungUp")).toHaveLength(1)
    }, 60000)

    test("a caller that never ACKs: the 200 again and again for 64*T1, then a BYE and remote_hung_up (T1 100 ms here)", async () => {
        const a = await line(site, "8152", "udp", { t1Ms: 100 })
        await registered(a)
        const caller = site.call("8152", 60, {
            scenario: "caller-no-ack.xml",
            messages: true,
        })
        await a.next("incoming", 0)
        const answered = Date.now()
        a.ua.answer()
        await a.next("hungUp", 0, 20000)
        const gaveUp = Date.now() - answered
        const run = await caller
        expect(run.code, run.out + run.log).toBe(0)
        expect(run.log).toMatch(/bye/)
        // sent at 0, 0.1, 0.3, 0.7, 1.5, 3.1 and 6.3 s (T2 4 s not reached), the BYE at 6.4 s
        const oks = okTimes(run.messages)
        expect(oks, `gaps ${gaps(oks)}`).toHaveLength(7)
        expect(gaveUp).toBeGreaterThanOrEqual(6400)
        expect(gaveUp).toBeLessThan(8000)
        expect(a.wire).toContain("out no ACK for 6400 ms")
        expect(a.wire.filter(w => w.startsWith("out BYE"))).toHaveLength(1)
    }, 60000)
})

describe("the server gone", () => {
    test("re-registers before expiry, and a refresh the server no longer answers is Failed", async () => {
        const a = await line(site, "8131", "tcp", {
            expires: 2,
            retryMs: 60000,
        })
        await registered(a)
        const regs = () =>
            a.wire.filter(w => w.startsWith("out REGISTER")).length
        const before = regs()
        const t0 = Date.now()
        while (regs() < before + 2 && Date.now() - t0 < 10000)
            await new Promise(r => setTimeout(r, 50))
        expect(regs()).toBeGreaterThanOrEqual(before + 2)
        expect(
            a.events
                .filter(e => e.e === "registration")
                .map(e => (e as { state: string }).state)
        ).toEqual(["Registering", "Registered"])
        const n = a.n
        await site.stopKamailio()
        const f = await a.next("registration", n, 40000)
        expect(f.state).toBe("Failed")
    }, 60000)
})

describe("a proxy that follows redirects (Kamailio FOLLOW_REDIRECTS)", () => {
    let proxy: SipSite
    beforeAll(async () => {
        proxy = await SipSite.start("follow-secret", { followRedirects: true })
    }, 30000)
    afterAll(async () => {
        await proxy?.stop()
    })

    test("Kamailio tries the 302's contacts in order, skipping a busy one and an unregistered one, with the Diversion", async () => {
        const a = await line(proxy, "8141")
        const b = await line(proxy, "8142")
        const c = await line(proxy, "8143")
        const d = await line(proxy, "8144")
        await Promise.all([
            registered(a),
            registered(b),
            registered(c),
            registered(d),
        ])
        // 8142 is in a call (busy: 486)
        c.ua.dial("8142")
        await b.next("incoming", 0)
        b.ua.answer()
        await c.next("answered", 0)
        const nd = d.n
        const caller = proxy.call("8141")
        await a.next("incoming", 0)
        a.ua.redirect("8142 8199 8144")
        expect(await d.next("incoming", nd)).toMatchObject({
            caller: "13912345678",
            divertedFrom: "8141",
            diversions: 1,
        })
        d.ua.answer()
        await d.next("hungUp", nd)
        const run = await caller
        expect(run.code, run.out + run.log).toBe(0)
        expect(b.events.filter(e => e.e === "incoming")).toHaveLength(1)
    }, 60000)
})
