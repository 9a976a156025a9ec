package dev.handoff.schemas.registry;

import dev.handoff.schemas.HandoffSchemas;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry without a server: ids are derived from the schema's fingerprint, so every process
 * of a build gives a schema the same id without talking to the others.
 *
 * <p>It knows the schemas registered with it, the released schemas listed in
 * {@value #COMPAT_INDEX} on the classpath, schemas handed to {@link #preload}, and, when given a
 * directory, every schema any process wrote there.
 */
public final class EmbeddedSchemaRegistry implements SchemaRegistry {

    /** Classpath folder of released schema versions kept for evolution. */
    public static final String COMPAT_RESOURCE_DIR = "dev/handoff/schemas/compat/";
    /** Classpath resource listing the files of {@link #COMPAT_RESOURCE_DIR}, one name a line. */
    public static final String COMPAT_INDEX = COMPAT_RESOURCE_DIR + "index.txt";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

    private final Optional<Path> dir;
    private final ConcurrentMap<Integer, Entry> schemasById = new ConcurrentHashMap<>();
    // Ids this instance has already stored or checked in the directory, so repeated registers stay in memory.
    private final Set<Integer> persisted = ConcurrentHashMap.newKeySet();

    /** A schema with its Parsing Canonical Form, which is what its id is derived from. */
    private record Entry(Schema schema, String canonicalForm) {
        static Entry of(Schema schema) {
            return new Entry(schema, SchemaNormalization.toParsingForm(schema));
        }
    }

    /** A registry of this JVM only, preloaded with this build's schemas and the released ones on the classpath. */
    public EmbeddedSchemaRegistry() {
        this(null, HandoffSchemas.currentSchemas(), defaultClassLoader());
    }

    /** As {@link #EmbeddedSchemaRegistry()}, and {@code extra}. */
    public EmbeddedSchemaRegistry(Collection<Schema> extra) {
        this(null, withCurrent(extra), defaultClassLoader());
    }

    /** A registry that also writes registered schemas to {@code dir} and reads unknown ids from there. */
    public EmbeddedSchemaRegistry(Path dir) {
        this(Objects.requireNonNull(dir, "dir"), HandoffSchemas.currentSchemas(), defaultClassLoader());
    }

    /** A registry persisting to {@code dir}, preloaded with this build's schemas, the released ones and {@code extra}. */
    public EmbeddedSchemaRegistry(Path dir, Collection<Schema> extra) {
        this(Objects.requireNonNull(dir, "dir"), withCurrent(extra), defaultClassLoader());
    }

    // A process must read what an earlier process of the same build wrote (its state stores, its topics),
    // so every schema of this build is known without having been registered in this JVM.
    private static List<Schema> withCurrent(Collection<Schema> extra) {
        List<Schema> all = new java.util.ArrayList<>(HandoffSchemas.currentSchemas());
        all.addAll(extra);
        return all;
    }

    /**
     * The general form: {@code dir} may be null for no persistence; released schemas are looked up
     * through {@code classLoader}.
     */
    public EmbeddedSchemaRegistry(Path dir, Collection<Schema> extra, ClassLoader classLoader) {
        this.dir = Optional.ofNullable(dir).map(d -> d.toAbsolutePath().normalize());
        this.dir.ifPresent(EmbeddedSchemaRegistry::createDirectory);
        preloadCompatSchemas(Objects.requireNonNull(classLoader, "classLoader"));
        extra.forEach(this::preload);
    }

    /**
     * The id every embedded registry gives {@code schema}: its 64-bit Parsing Canonical Form fingerprint
     * folded to a positive 31-bit int. Schemas differing only in docs, defaults or logical types share it,
     * which is right because their binary encoding is the same.
     */
    public static int idOf(Schema schema) {
        long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
        int folded = (int) (fingerprint ^ (fingerprint >>> 32)) & 0x7fff_ffff;
        // Id 0 is avoided: a zeroed header is a more likely sign of garbage than of a real schema.
        return folded == 0 ? 1 : folded;
    }

    /** Makes {@code schema} resolvable by id without registering it under a subject or persisting it. */
    public void preload(Schema schema) {
        remember(idOf(schema), Entry.of(schema));
    }

    @Override
    public int register(String subject, Schema schema) {
        Objects.requireNonNull(subject, "subject");
        Entry entry = Entry.of(Objects.requireNonNull(schema, "schema"));
        int id = idOf(schema);
        remember(id, entry);
        if (dir.isPresent() && !persisted.contains(id)) {
            persist(dir.get(), id, entry);
            persisted.add(id);
        }
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Entry known = schemasById.get(id);
        if (known != null) {
            return known.schema;
        }
        Optional<Entry> stored = dir.flatMap(d -> readStored(d, id));
        if (stored.isPresent()) {
            return remember(id, stored.get()).schema;
        }
        throw new SchemaRegistryException("no schema with id " + id + " is known to the embedded schema registry"
                + dir.map(d -> " (nor stored in " + d + ")").orElse("")
                + ": it knows only schemas registered in this JVM, the released ones listed in " + COMPAT_INDEX
                + " and those preloaded. If another process wrote the data, give both the same"
                + " schema.registry.url=embedded:/some/shared/dir, or use an HTTP schema registry.");
    }

    /** Stores the entry under its id, or checks that the entry already there is the same schema. */
    private Entry remember(int id, Entry entry) {
        Entry existing = schemasById.putIfAbsent(id, entry);
        if (existing == null) {
            return entry;
        }
        checkSameSchema(id, existing, entry, "in memory");
        return existing;
    }

    private static void checkSameSchema(int id, Entry existing, Entry candidate, String where) {
        if (!existing.canonicalForm.equals(candidate.canonicalForm)) {
            throw new SchemaRegistryException("embedded schema registry id collision: schema " + candidate.schema.getFullName()
                    + " folds to id " + id + ", which " + where + " already belongs to a different schema "
                    + existing.schema.getFullName() + ". Rename or change one of the two schemas slightly (e.g. a field"
                    + " name) so their fingerprints differ, or use an HTTP schema registry.");
        }
    }

    private void persist(Path directory, int id, Entry entry) {
        Optional<Entry> stored = readStored(directory, id);
        if (stored.isPresent()) {
            checkSameSchema(id, stored.get(), entry, "in " + file(directory, id));
            return;
        }
        Path target = file(directory, id);
        try {
            // Written aside and renamed, so that a concurrent reader sees either no file or a whole one.
            Path temp = Files.createTempFile(directory, id + "-", ".avsc.tmp");
            try {
                Files.writeString(temp, entry.schema.toString(), StandardCharsets.UTF_8);
                moveIntoPlace(temp, target);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new SchemaRegistryException("could not store schema " + entry.schema.getFullName() + " (id " + id + ") as "
                    + target + ": " + e + ". Check that the directory is writable, or drop the directory from"
                    + " schema.registry.url (plain 'embedded').", e);
        }
        LOG.debug("stored schema {} with id {} in {}", entry.schema.getFullName(), id, target);
    }

    private static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            // Another process stored the same id first; its file is as good as ours (and checked on read).
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + target.getParent() + " cannot rename files atomically", e);
        }
    }

    private static Optional<Entry> readStored(Path directory, int id) {
        Path file = file(directory, id);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SchemaRegistryException("could not read stored schema " + file + ": " + e
                    + ". Check the file's permissions.", e);
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException("stored schema " + file + " is not a valid Avro schema (" + e.getMessage()
                    + "); delete the file so that the process that owns the schema writes it again.", e);
        }
        if (idOf(schema) != id) {
            throw new SchemaRegistryException("stored schema " + file + " has fingerprint id " + idOf(schema)
                    + ", not " + id + ", so it was altered or written by something else; delete the file so that the"
                    + " process that owns the schema writes it again.");
        }
        return Optional.of(Entry.of(schema));
    }

    private void preloadCompatSchemas(ClassLoader classLoader) {
        Enumeration<URL> indexes;
        try {
            indexes = classLoader.getResources(COMPAT_INDEX);
        } catch (IOException e) {
            throw new UncheckedIOException("could not look up " + COMPAT_INDEX + " on the classpath", e);
        }
        int count = 0;
        while (indexes.hasMoreElements()) {
            URL index = indexes.nextElement();
            for (String name : readIndex(index)) {
                preload(parseCompatSchema(index, name));
                count++;
            }
        }
        LOG.debug("embedded schema registry preloaded {} released schema(s) from {}", count, COMPAT_INDEX);
    }

    private static List<String> readIndex(URL index) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(index.openStream(), StandardCharsets.UTF_8))) {
            return reader.lines().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + index, e);
        }
    }

    private static Schema parseCompatSchema(URL index, String name) {
        URL file;
        try {
            // Resolved against the index itself, so each jar's index names that jar's files.
            file = new URL(index, name);
        } catch (MalformedURLException e) {
            throw new SchemaRegistryException("line '" + name + "' of " + index + " is not a file name; list one .avsc"
                    + " file name a line", e);
        }
        try (InputStream in = file.openStream()) {
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new SchemaRegistryException(index + " lists '" + name + "', but " + file + " cannot be read (" + e
                    + "); add the file or remove the line from the index.", e);
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException("released schema " + file + " is not a valid self-contained Avro schema ("
                    + e.getMessage() + "); fix the file (every named type it uses must be defined inline).", e);
        }
    }

    private static Path file(Path directory, int id) {
        return directory.resolve(id + ".avsc");
    }

    private static void createDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new SchemaRegistryException("could not create the embedded schema registry directory " + directory
                    + ": " + e + ". Choose a writable directory in schema.registry.url=embedded:/some/dir.", e);
        }
    }

    private static ClassLoader defaultClassLoader() {
        ClassLoader loader = EmbeddedSchemaRegistry.class.getClassLoader();
        return loader != null ? loader : ClassLoader.getSystemClassLoader();
    }

    /** The persistence directory, if any. */
    public Optional<Path> directory() {
        return dir;
    }

    @Override
    public String toString() {
        return "EmbeddedSchemaRegistry" + dir.map(d -> "[" + d + "]").orElse("[in memory]");
    }
}
