package listen

import (
	"net"
	"strconv"
)

// advertiseAddr returns host:port to reach a listener at addr from elsewhere:
// an unspecified host (":8080", "0.0.0.0") is replaced by the first private
// non-loopback IPv4 address of this machine, or 127.0.0.1 when it has none.
func advertiseAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	if !tcp.IP.IsUnspecified() && tcp.IP != nil {
		return tcp.String()
	}
	return net.JoinHostPort(hostIP(), strconv.Itoa(tcp.Port))
}

func hostIP() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && n.IP.IsPrivate() {
				return n.IP.String()
			}
		}
	}
	return "127.0.0.1"
}
