/*
 * Starts DynamoDB Local listening on 127.0.0.1 only, and stops it when the process that started it goes away.
 *
 * DynamoDB Local has no option for the address it listens on (its -help lists -port but no host), and its Jetty
 * server listens on every interface. This launcher builds the server from the usual command line, sets the
 * Jetty connector's host to the loopback address before starting it, then watches standard input: the sandbox
 * holds the other end of that pipe, so when the sandbox exits, even by SIGKILL, the read returns end-of-file and
 * DynamoDB Local exits with it instead of being left running with its port bound.
 *
 * Run with the jar and its lib directory on the class path: java -cp DynamoDBLocal.jar:DynamoDBLocal_lib/*
 * LoopbackDynamoDbLocal.java -inMemory -port 8000
 */
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : jetty.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost("127.0.0.1");
        bound += 1;
      }
    }
    if (bound == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind to 127.0.0.1");
    proxy.start();
    System.out.println("DynamoDB Local listening on 127.0.0.1 only");
    // End of input: the parent is gone (its end of the pipe closed). Exit rather than outlive it.
    while (System.in.read() != -1) {
      // the parent writes nothing; any byte is ignored
    }
    System.exit(0);
  }
}
