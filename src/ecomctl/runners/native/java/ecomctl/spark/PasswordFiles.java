package ecomctl.spark;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import javax.security.sasl.AuthenticationException;
import org.apache.hive.service.auth.PasswdAuthenticationProvider;

/**
 * Who may log in to ecomctl's Spark Thrift server (hive.server2.authentication=CUSTOM).
 *
 * A user logs in only with the password kept in its own secret file, which ecomctl generated
 * (0600) in the home. The system property ecomctl.spark.password.USER names that file: the
 * command line carries paths, never a password. A user without such a property is refused.
 * The file is read at each login, so nothing is cached and a new password takes effect at once.
 */
public class PasswordFiles implements PasswdAuthenticationProvider {

    public void Authenticate(String user, String password) throws AuthenticationException {
        // Plain lower-case names only: a user name must not pick another system property.
        if (user == null || password == null || !user.matches("[a-z]+")) {
            throw new AuthenticationException("login refused");
        }
        String file = System.getProperty("ecomctl.spark.password." + user);
        if (file == null) {
            throw new AuthenticationException("login refused: no such user " + user);
        }
        byte[] expected;
        try {
            expected = new String(Files.readAllBytes(new File(file).toPath()), StandardCharsets.UTF_8)
                .trim().getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AuthenticationException("login refused: the password of " + user + " is unreadable");
        }
        // Compared in constant time: how long a refusal takes says nothing of the password.
        if (expected.length == 0
            || !MessageDigest.isEqual(expected, password.getBytes(StandardCharsets.UTF_8))) {
            throw new AuthenticationException("login refused: wrong password for " + user);
        }
    }
}
