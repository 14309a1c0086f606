// The fleet sync's VM tests (HMAC with @devicescript/crypto, records in
// the settings flash), in a VM of their own (see main.ts).
import "./sync.test"
