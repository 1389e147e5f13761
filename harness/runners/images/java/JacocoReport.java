// JaCoCo XML/CSV report from an exec file, for the java sandbox image (Debian ships no jacococli.jar).
// usage: java -cp "$JACOCO_REPORT_CP" JacocoReport jacoco.exec target/classes report.xml [report.csv]
import java.io.File;
import java.io.FileOutputStream;
import org.jacoco.core.analysis.Analyzer;
import org.jacoco.core.analysis.CoverageBuilder;
import org.jacoco.core.analysis.IBundleCoverage;
import org.jacoco.core.tools.ExecFileLoader;
import org.jacoco.report.IReportVisitor;
import org.jacoco.report.csv.CSVFormatter;
import org.jacoco.report.xml.XMLFormatter;

public class JacocoReport {
    public static void main(String[] args) throws Exception {
        ExecFileLoader loader = new ExecFileLoader();
        loader.load(new File(args[0]));
        CoverageBuilder builder = new CoverageBuilder();
        new Analyzer(loader.getExecutionDataStore(), builder).analyzeAll(new File(args[1]));
        IBundleCoverage bundle = builder.getBundle("coverage");
        write(new XMLFormatter().createVisitor(new FileOutputStream(args[2])), loader, bundle);
        if (args.length > 3) {
            write(new CSVFormatter().createVisitor(new FileOutputStream(args[3])), loader, bundle);
        }
    }

    private static void write(IReportVisitor v, ExecFileLoader loader, IBundleCoverage bundle) throws Exception {
        v.visitInfo(loader.getSessionInfoStore().getInfos(), loader.getExecutionDataStore().getContents());
        v.visitBundle(bundle, null);
        v.visitEnd();
    }
}
