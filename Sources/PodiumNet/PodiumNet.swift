/// UDP sockets, the epoll worker loop, recvmmsg/sendmmsg batches, timers and the eventfd command queue.
public enum PodiumNetModule {}
