@_exported import PodiumWire
@_exported import PodiumSDP
@_exported import PodiumCrypto
