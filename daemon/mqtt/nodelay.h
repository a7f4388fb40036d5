// TCP_NODELAY for Paho's sockets. Paho C 1.3.11 (Debian 12) never sets it on its socket
// (eclipse-paho/paho.mqtt.c#530) and offers no way to reach it. With Nagle on, a publish
// that follows the PUBACK of a received QoS 1 message (a device command right after a
// request or a confirmation) waits for the broker's delayed ACK: ~40 ms on loopback
// (bench/README.md).
#pragma once

namespace padtimer::mqtt {

// Sets TCP_NODELAY on every TCP socket this process has open (Paho's are the only ones
// padtimerd, padtimerctl, the tests and the bench have; TCP_NODELAY only ever sends
// sooner). Returns how many sockets it set.
int disable_nagle_on_tcp_sockets();

}  // namespace padtimer::mqtt
