// The SIP line wiring's VM test, in a VM of its own (it starts a SIP Line
// service server; see main.ts).
import "./portLink.test"
