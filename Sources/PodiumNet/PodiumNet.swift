/// UDP sockets, the epoll worker loop, recvmmsg/sendmmsg batches, timers and the eventfd command
/// queue (DESIGN.md §3, Docs/Networking.md). Start at `EventLoop`, `UDPSocket`, `ReceiveBatch`
/// and `SendBatch`.
public enum PodiumNetModule {}
