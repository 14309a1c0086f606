// SDP offer/answer (RFC 3264) for the simulated line: PCMU/PCMA audio on a
// port nobody listens to. RTP is not the point of the simulator: the
// offer is what a real peer needs to accept the call.
import * as sdpTransform from "sdp-transform"

const CODECS = [
    { payload: 0, codec: "PCMU", rate: 8000 },
    { payload: 8, codec: "PCMA", rate: 8000 },
]

function session(address: string, rtpPort: number, payloads: number[]) {
    const id = Date.now() % 1e9
    return sdpTransform.write({
        version: 0,
        origin: {
            username: "dialguard",
            sessionId: id,
            sessionVersion: 1,
            netType: "IN",
            ipVer: 4,
            address,
        },
        name: "DialGuard",
        connection: { version: 4, ip: address },
        timing: { start: 0, stop: 0 },
        media: [
            {
                type: "audio",
                port: rtpPort,
                protocol: "RTP/AVP",
                payloads: payloads.join(" "),
                rtp: CODECS.filter(c => payloads.includes(c.payload)),
                direction: "sendrecv",
                fmtp: [],
            },
        ],
    })
}

export function sdpOffer(address: string, rtpPort: number): string {
    return session(
        address,
        rtpPort,
        CODECS.map(c => c.payload)
    )
}

/** Our answer to `offer`: its first codec we have (PCMU if none is readable). */
export function sdpAnswer(
    offer: string | undefined,
    address: string,
    rtpPort: number
): string {
    let chosen = 0
    if (offer) {
        const audio = sdpTransform
            .parse(offer)
            .media.find(m => m.type === "audio")
        const offered = String(audio?.payloads ?? "")
            .split(" ")
            .map(Number)
        const common = offered.find(p => CODECS.some(c => c.payload === p))
        if (common !== undefined) chosen = common
    }
    return session(address, rtpPort, [chosen])
}
