package dev.handoff.streams.routing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Literal IP addresses and CIDR blocks as bytes, with one canonical text per address; never touches DNS. */
final class IpAddresses {

    private static final Pattern V4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    // First character a hex digit or ':' and the whole string containing ':' is what makes InetAddress parse
    // the text as an IPv6 literal and fail instead of falling back to a name lookup.
    private static final Pattern V6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*");

    /** A network: address bytes with the host bits cleared, and the prefix length. */
    record Block(byte[] network, int prefix) {
        String text() {
            return IpAddresses.text(network) + "/" + prefix;
        }
    }

    private IpAddresses() {
    }

    /** The address bytes (4 for IPv4, including IPv4-mapped IPv6; 16 for IPv6) of a literal, else empty. */
    static Optional<byte[]> parse(String literal) {
        String s = literal == null ? "" : literal.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        Matcher m = V4.matcher(s);
        if (m.matches()) {
            byte[] out = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(m.group(i + 1));
                if (octet > 255) {
                    return Optional.empty();
                }
                out[i] = (byte) octet;
            }
            return Optional.of(out);
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            // A zone id names a local interface; it says nothing about which asset the address belongs to.
            s = s.substring(0, zone);
        }
        if (!s.contains(":") || !V6.matcher(s).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(s).getAddress());
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** A CIDR block {@code address/prefix}; host bits set in the address are cleared. Empty when malformed. */
    static Optional<Block> parseBlock(String cidr) {
        String s = cidr == null ? "" : cidr.trim();
        int slash = s.indexOf('/');
        if (slash < 0 || !s.substring(slash + 1).matches("\\d{1,3}")) {
            return Optional.empty();
        }
        int prefix = Integer.parseInt(s.substring(slash + 1));
        return parse(s.substring(0, slash))
                .filter(address -> prefix <= address.length * 8)
                .map(address -> new Block(mask(address, prefix), prefix));
    }

    /** The first {@code prefix} bits of {@code address}, the rest zero. */
    static byte[] mask(byte[] address, int prefix) {
        byte[] out = new byte[address.length];
        int full = prefix / 8;
        System.arraycopy(address, 0, out, 0, full);
        int rest = prefix % 8;
        if (rest > 0) {
            out[full] = (byte) (address[full] & (0xFF << (8 - rest)));
        }
        return out;
    }

    /** Dotted decimal for IPv4; eight lower-case hex groups, uncompressed, for IPv6. */
    static String text(byte[] address) {
        StringBuilder b = new StringBuilder();
        if (address.length == 4) {
            for (int i = 0; i < 4; i++) {
                b.append(i == 0 ? "" : ".").append(address[i] & 0xFF);
            }
            return b.toString();
        }
        for (int i = 0; i < address.length; i += 2) {
            b.append(i == 0 ? "" : ":").append(Integer.toHexString(((address[i] & 0xFF) << 8) | (address[i + 1] & 0xFF)));
        }
        return b.toString();
    }
}
