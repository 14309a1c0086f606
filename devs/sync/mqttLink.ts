// The connection to the site's broker: clean session with a retained will,
// the policy subscription, the retained "online" birth message once both
// are in place, and reconnects with exponential backoff and jitter (1 s →
// 60 s; devs/sync/backoff.ts).
import * as ds from "@devicescript/core"
import { backoffMs } from "./backoff"
import { SyncConfig } from "./config"
import { MqttClient, NO_MQTT5 } from "./mqttClient"
import { MAX_PACKET_BYTES } from "./protocol"

const CONNECT_TIMEOUT_MS = 10000

export class MqttLink {
    up = false
    /** Called after each connect and each loss. */
    onUp: () => void = () => {}
    readonly client = new MqttClient()
    private lost = ds.emitter<boolean>()

    constructor(
        private cfg: SyncConfig,
        private clientId: string,
        /** Retained liveness: `online` after each connect, the will `offline`. */
        private liveness: { topic: string; online: string; offline: string },
        private subscription: string
    ) {
        const self = this
        this.client.onClose = () => {
            self.up = false
            self.lost.emit(true)
        }
    }

    /**
     * Subscribes again: the broker sends the topic's retained message again
     * (after the board skipped messages it had no room for).
     */
    async resubscribe() {
        if (this.up) await this.client.subscribe(this.subscription)
    }

    /** Connects, stays connected, reconnects; never returns. */
    async run() {
        const c = this.cfg
        let attempt = 0
        // MQTT 5 until the broker says it does not speak it (then 3.1.1
        // until the board restarts)
        let v5 = true
        for (;;) {
            const why = await this.client.open({
                host: c.host,
                port: c.port,
                tls: c.tls,
                clientId: this.clientId,
                username: c.username,
                password: c.password,
                will: {
                    topic: this.liveness.topic,
                    message: this.liveness.offline,
                },
                timeoutMs: CONNECT_TIMEOUT_MS,
                maxPacket: v5 ? MAX_PACKET_BYTES : 0,
            })
            if (why === NO_MQTT5) {
                console.log("sync: " + c.url + ": MQTT 5 refused, using 3.1.1")
                v5 = false
                continue
            }
            if (
                !why &&
                (await this.client.subscribe(this.subscription)) &&
                (await this.client.publish(
                    this.liveness.topic,
                    [this.liveness.online],
                    true
                ))
            ) {
                attempt = 0
                this.up = true
                console.log("sync: connected to " + c.url)
                this.onUp()
                while (this.up) await ds.wait(this.lost, 60000)
                console.log("sync: connection lost")
            } else {
                console.log(
                    "sync: cannot connect to " +
                        c.url +
                        ": " +
                        (why || "no acknowledgement of the online message")
                )
                await this.client.close()
            }
            await ds.sleep(backoffMs(attempt++, Math.random()))
        }
    }
}
