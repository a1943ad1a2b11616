package ecomctl.spark;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.CurrentUserContext;
import org.apache.spark.sql.catalyst.expressions.CallMethodViaReflection;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.plans.logical.Command;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.ScriptTransformation;
import org.apache.spark.sql.execution.command.AddArchivesCommand;
import org.apache.spark.sql.execution.command.AddFilesCommand;
import org.apache.spark.sql.execution.command.AddJarsCommand;
import org.apache.spark.sql.execution.command.CreateFunctionCommand;
import org.apache.spark.sql.execution.command.LoadDataCommand;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * A Spark session extension (spark.sql.extensions) that refuses, after analysis and before
 * anything runs, what reaches beyond SQL on the lake:
 *
 * - for everyone: script transforms (SELECT TRANSFORM ... USING 'cmd' runs a shell command as
 *   the server's user), ADD JAR/FILE/ARCHIVE and CREATE FUNCTION (code or files from anywhere),
 *   LOAD DATA (reads any local file the server can), reflect/java_method (calls any static
 *   Java method). Spark has no switch for these; ecomctl's dbt models use none of them.
 * - for the login named by the system property ecomctl.spark.reader (ecomctl query's): every
 *   command but SHOW, DESCRIBE, EXPLAIN and USE, so it can read and nothing else.
 *
 * The Thrift server records each statement's session user in CurrentUserContext, which is
 * how a check knows who asked.
 */
public class Guard extends AbstractFunction1 {

    public Object apply(Object extensions) {
        ((SparkSessionExtensions) extensions).injectCheckRule(new AbstractFunction1() {
            public Object apply(Object session) {
                return new AbstractFunction1() {
                    public Object apply(Object plan) {
                        check((LogicalPlan) plan, isReader());
                        return BoxedUnit.UNIT;
                    }
                };
            }
        });
        return BoxedUnit.UNIT;
    }

    static boolean isReader() {
        String reader = System.getProperty("ecomctl.spark.reader");
        String user = (String) CurrentUserContext.CURRENT_USER().get();
        return reader != null && reader.equals(user);
    }

    static void check(LogicalPlan plan, boolean reader) {
        if (plan instanceof ScriptTransformation) {
            refuse("script transforms (TRANSFORM ... USING) are disabled on this server");
        }
        if (plan instanceof AddJarsCommand || plan instanceof AddFilesCommand
            || plan instanceof AddArchivesCommand || plan instanceof CreateFunctionCommand
            || plan instanceof LoadDataCommand) {
            refuse(plan.nodeName() + " is disabled on this server");
        }
        if (reader && plan instanceof Command && !readOnlyCommand(plan)) {
            refuse("read-only login: " + plan.nodeName() + " is not a query");
        }
        for (Iterator it = plan.expressions().iterator(); it.hasNext();) {
            checkExpression((Expression) it.next(), reader);
        }
        for (Iterator it = plan.children().iterator(); it.hasNext();) {
            check((LogicalPlan) it.next(), reader);
        }
    }

    static void checkExpression(Expression expression, boolean reader) {
        if (expression instanceof CallMethodViaReflection) {
            refuse("reflect and java_method are disabled on this server");
        }
        if (expression instanceof SubqueryExpression) {
            check((LogicalPlan) ((SubqueryExpression) expression).plan(), reader);
        }
        for (Iterator it = expression.children().iterator(); it.hasNext();) {
            checkExpression((Expression) it.next(), reader);
        }
    }

    // What only reads: listing and describing tables, explaining a plan, choosing a schema.
    static boolean readOnlyCommand(LogicalPlan plan) {
        String name = plan.getClass().getSimpleName();
        return name.startsWith("Show") || name.startsWith("Describe")
            || name.equals("ExplainCommand") || name.equals("SetCatalogAndNamespace")
            || name.equals("SetNamespaceCommand");
    }

    static void refuse(String why) {
        throw new SecurityException("ecomctl refused: " + why);
    }
}
