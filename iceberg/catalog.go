package iceberg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"
)

// DefaultNamespace holds the tables whose name has no namespace part ("events" is
// "default.events"), as Spark's session catalog does.
const DefaultNamespace = "default"

// ErrNoSuchTable is returned (wrapped) by LoadTable and DropTable for a table the
// catalog does not hold.
var ErrNoSuchTable = catalog.ErrNoSuchTable

// ErrTableExists is returned (wrapped) by CreateTable for a name already taken.
var ErrTableExists = catalog.ErrTableAlreadyExists

// Catalog is a warehouse directory of Iceberg tables, kept as iceberg-go's Hadoop
// catalog keeps it: a directory per namespace, a directory per table holding data/ and
// metadata/ (versioned vN.metadata.json files and a version hint). Nothing else (no
// server, no database) is needed, and Spark, Trino or PyIceberg pointed at the same
// directory with a Hadoop catalog see the same tables.
//
// A Catalog is safe for concurrent use. Commits to one table by several writers are
// ordered by the atomic rename of the next metadata version; a writer that loses the
// race has its commit replayed on the new version by iceberg-go, or refused.
type Catalog struct {
	cat       *hadoop.Catalog
	warehouse string
}

// OpenCatalog opens (creating it if missing) the warehouse directory dir as a catalog.
func OpenCatalog(ctx context.Context, dir string) (*Catalog, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("iceberg: OpenCatalog: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("iceberg: OpenCatalog: %w", err)
	}
	cat, err := hadoop.NewCatalog("kindling", abs, iceberggo.Properties{"warehouse": abs})
	if err != nil {
		return nil, fmt.Errorf("iceberg: OpenCatalog: %w", err)
	}
	return &Catalog{cat: cat, warehouse: abs}, nil
}

// Iceberg returns the iceberg-go catalog underneath, for what this package does not
// wrap (schema evolution, snapshot expiry, branches).
func (c *Catalog) Iceberg() catalog.Catalog { return c.cat }

// Warehouse returns the catalog's warehouse directory (absolute).
func (c *Catalog) Warehouse() string { return c.warehouse }

// Close releases the catalog. Tables loaded from it stay usable for reads of metadata
// already loaded, but should not be committed to afterwards.
func (c *Catalog) Close() error { return c.cat.Close() }

// CreateTableOption adjusts CreateTable.
type CreateTableOption func(*createConfig)

type createConfig struct {
	partition []PartitionField
	props     iceberggo.Properties
}

// PartitionBy partitions the new table by the given fields (Identity, Day, Month, ...),
// in order.
func PartitionBy(fields ...PartitionField) CreateTableOption {
	return func(c *createConfig) { c.partition = append(c.partition, fields...) }
}

// TableProperties sets Iceberg table properties on the new table (format-version,
// write.parquet.compression-codec, ...).
func TableProperties(props map[string]string) CreateTableOption {
	return func(c *createConfig) {
		if c.props == nil {
			c.props = iceberggo.Properties{}
		}
		for k, v := range props {
			c.props[k] = v
		}
	}
}

// CreateTable creates an empty table named name ("namespace.table"; the namespace is
// created if missing) whose columns are those of schema, typically a dataset's
// (Dataset.Schema): Arrow types map to Iceberg's (int8/16/32 to int, int64 to long,
// string to string, timestamp with a zone to timestamptz, without one to timestamp,
// date32 to date, decimal128 to decimal, lists, structs and maps to their Iceberg
// kind); a nullable field becomes optional, a non-nullable one required.
func (c *Catalog) CreateTable(ctx context.Context, name string, schema *arrow.Schema, opts ...CreateTableOption) (*Table, error) {
	var cfg createConfig
	for _, o := range opts {
		o(&cfg)
	}
	ident, err := parseName(name)
	if err != nil {
		return nil, err
	}
	sc, err := table.ArrowSchemaToIcebergWithFreshIDs(schema, true)
	if err != nil {
		return nil, fmt.Errorf("iceberg: CreateTable %s: %w", name, err)
	}
	spec, err := buildSpec(sc, cfg.partition)
	if err != nil {
		return nil, fmt.Errorf("iceberg: CreateTable %s: %w", name, err)
	}
	if err := c.ensureNamespace(ctx, catalog.NamespaceFromIdent(ident)); err != nil {
		return nil, fmt.Errorf("iceberg: CreateTable %s: %w", name, err)
	}
	createOpts := []catalog.CreateTableOpt{catalog.WithPartitionSpec(&spec)}
	if cfg.props != nil {
		createOpts = append(createOpts, catalog.WithProperties(cfg.props))
	}
	tbl, err := c.cat.CreateTable(ctx, ident, sc, createOpts...)
	if err != nil {
		return nil, fmt.Errorf("iceberg: CreateTable %s: %w", name, err)
	}
	return &Table{cat: c, ident: ident, tbl: tbl}, nil
}

// LoadTable opens the table named name at its latest metadata version.
func (c *Catalog) LoadTable(ctx context.Context, name string) (*Table, error) {
	ident, err := parseName(name)
	if err != nil {
		return nil, err
	}
	tbl, err := c.cat.LoadTable(ctx, ident)
	if err != nil {
		return nil, fmt.Errorf("iceberg: LoadTable %s: %w", name, err)
	}
	return &Table{cat: c, ident: ident, tbl: tbl}, nil
}

// TableExists reports whether the catalog holds a table named name.
func (c *Catalog) TableExists(ctx context.Context, name string) (bool, error) {
	ident, err := parseName(name)
	if err != nil {
		return false, err
	}
	return c.cat.CheckTableExists(ctx, ident)
}

// DropTable removes the table named name from the catalog and deletes its files (data
// and metadata), as Spark's DROP TABLE ... PURGE.
func (c *Catalog) DropTable(ctx context.Context, name string) error {
	ident, err := parseName(name)
	if err != nil {
		return err
	}
	if err := c.cat.PurgeTable(ctx, ident); err != nil {
		return fmt.Errorf("iceberg: DropTable %s: %w", name, err)
	}
	return nil
}

// ListTables returns the names ("namespace.table") of the tables in namespace.
func (c *Catalog) ListTables(ctx context.Context, namespace string) ([]string, error) {
	var names []string
	for ident, err := range c.cat.ListTables(ctx, catalog.ToIdentifier(namespace)) {
		if err != nil {
			return nil, fmt.Errorf("iceberg: ListTables %s: %w", namespace, err)
		}
		names = append(names, strings.Join(ident, "."))
	}
	return names, nil
}

// ensureNamespace creates ns and its parents; the Hadoop catalog refuses a table in a
// namespace directory that does not exist yet, which a Spark user does not expect of a
// local warehouse.
func (c *Catalog) ensureNamespace(ctx context.Context, ns table.Identifier) error {
	for i := 1; i <= len(ns); i++ {
		part := ns[:i]
		ok, err := c.cat.CheckNamespaceExists(ctx, part)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if err := c.cat.CreateNamespace(ctx, part, nil); err != nil && !errors.Is(err, catalog.ErrNamespaceAlreadyExists) {
			return err
		}
	}
	return nil
}

func parseName(name string) (table.Identifier, error) {
	ident := catalog.ToIdentifier(name)
	if len(ident) == 0 {
		return nil, errors.New("iceberg: empty table name")
	}
	if len(ident) == 1 {
		ident = table.Identifier{DefaultNamespace, ident[0]}
	}
	for _, p := range ident {
		if p == "" {
			return nil, fmt.Errorf("iceberg: invalid table name %q", name)
		}
	}
	return ident, nil
}
