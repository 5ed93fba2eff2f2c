@_exported import PodiumWire
@_exported import PodiumSDP
@_exported import PodiumCrypto
@_exported import PodiumNet
@_exported import PodiumRTC
