// Connects a HandsetPort to its hardware and its SIP line: events in, orders
// out. Orders go through a SequentialWorker so they reach the services in
// the order the port gave them, without the port waiting on the bus.
import * as ds from "@devicescript/core"
import { SequentialWorker } from "@devicescript/runtime"
import { HandsetPort, PortOutputs } from "../phone/handsetPort"
import { HandsetHardware } from "../hw/handsetHardware"

export class PortLink implements PortOutputs {
    port: HandsetPort
    private orders = new SequentialWorker()

    constructor(
        private hw: HandsetHardware,
        private line: ds.SipLine,
        private logLine: (line: string) => void
    ) {}

    /** Subscribes the port to its hardware and line events. */
    attach(port: HandsetPort) {
        this.port = port
        this.hw.onKey(async k => port.key(k, ds.millis()))
        this.hw.onHook(async off => {
            if (off) port.offHook(ds.millis())
            else port.onHook(ds.millis())
        })
        // caller, diverted_from, diversions
        this.line.incomingCall.subscribe(async v =>
            port.incomingCall(v[0], v[1], v[2], ds.millis())
        )
        this.line.remoteAnswered.subscribe(async () =>
            port.remoteAnswered(ds.millis())
        )
        this.line.remoteHungUp.subscribe(async () =>
            port.remoteHungUp(ds.millis())
        )
        this.line.callFailed.subscribe(async reason =>
            port.callFailed(ds.millis(), reason as number)
        )
    }

    private order(fn: () => Promise<void>) {
        this.orders.queue(async () => {
            try {
                await fn()
            } catch (e) {
                console.log("order failed: " + (e as Error).message)
            }
        })
    }

    tone(tone: number) {
        const self = this
        this.order(async () => await self.hw.tone(tone))
    }
    ring(on: boolean) {
        const self = this
        this.order(async () => await self.hw.ring(on))
    }
    dial(number: string) {
        const self = this
        this.order(async () => await self.line.dial(number))
    }
    answer() {
        const self = this
        this.order(async () => await self.line.answer())
    }
    hangUp() {
        const self = this
        this.order(async () => await self.line.hangUp())
    }
    redirect(hops: string) {
        const self = this
        this.order(async () => await self.line.redirect(hops))
    }
    log(line: string) {
        this.logLine(line)
    }
}
