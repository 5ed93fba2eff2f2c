// The `Podium` API's tests (room, participant, publish/subscribe, interop with real peers) live in
// this target.
